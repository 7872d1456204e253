#!/usr/bin/env node
// A development server for dist/ until `oracle serve` serves it: static files (gzip siblings
// when accepted) and GET /config.json from the environment:
//   PORT (8080), DEPIN_RPC_URL (http://127.0.0.1:8899), DEPIN_API_URL (the oracle's API; CORS),
//   DEPIN_TILES_URL, DEPIN_EXPLORER_URL.
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const port = Number(process.env.PORT ?? 8080);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
const config = JSON.stringify({
  rpc_url: process.env.DEPIN_RPC_URL ?? 'http://127.0.0.1:8899',
  api_url: process.env.DEPIN_API_URL ?? '',
  tiles_url: process.env.DEPIN_TILES_URL ?? null,
  explorer_url: process.env.DEPIN_EXPLORER_URL ?? null,
});

createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (path === '/config.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    return res.end(config);
  }
  const file = normalize(join(dist, path === '/' ? 'index.html' : path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404);
    return res.end('not found');
  }
  const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && existsSync(`${file}.gz`);
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'cache-control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
    ...(gz ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(readFileSync(gz ? `${file}.gz` : file));
}).listen(port, '127.0.0.1', function () {
  console.log(`http://127.0.0.1:${this.address().port}/`);
});
