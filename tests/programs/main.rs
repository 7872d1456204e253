mod rewards_initialize;
