-- The epoch task reads a window's reports in the order reports.jsonl records them: timestamp,
-- then device bytes, then nonce (unique, since (device, nonce) is). This index serves that
-- range query in order, so a large epoch is streamed without a sort (which, at 24M reports,
-- would spill gigabytes to temporary files). It also serves every range query on ts alone,
-- so the narrower reports_ts index goes.
CREATE INDEX reports_ts_device_nonce ON reports (ts, device, nonce);
DROP INDEX reports_ts;
