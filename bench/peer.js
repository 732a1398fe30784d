// bench/peer.js: the peer of the limiter part of `make bench`, the npm
// package redis-semaphore (its Semaphore class over ioredis), measured
// the way bench/limiter_bench.c measures ours and printed in the same
// key=value lines:
//
//   node peer.js pairs PORT CLIENTS SECONDS
//   node peer.js contention PORT MAX CLIENTS HOLD_MS TOTAL
//
// Each client is its own ioredis connection; all of them share this one
// node process (one event loop), as in a node service. A new Semaphore
// per acquisition, as ours takes a fresh token per acquire. Its acquire
// polls: it retries every retryInterval ms (default 10) while full, and
// has no queue. Its defaults are kept except acquireTimeout, raised for
// the contention case so that no acquire gives up.
'use strict';

const path = require('path');
const modules = path.join(__dirname, 'peer-node', 'node_modules');
const { Semaphore } = require(path.join(modules, 'redis-semaphore'));
const Redis = require(path.join(modules, 'ioredis'));

const WAIT_MS = 60000;

function nowNs() {
	return process.hrtime.bigint();
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// nearest-rank percentile of sorted numbers
function percentile(sorted, p) {
	if (!sorted.length)
		return 0;
	const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
	return sorted[rank - 1];
}

async function connect(port, n) {
	const clients = [];
	for (let i = 0; i < n; i++) {
		const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
		await c.connect();
		clients.push(c);
	}
	return clients;
}

// connect and load the scripts outside the timed part
async function warmUp(client) {
	const s = new Semaphore(client, 'bench-warm-up', 1000000);
	await s.acquire();
	await s.release();
}

async function pairs(port, clientCount, seconds) {
	const clients = await connect(port, clientCount);
	const key = `bench-pairs-${clientCount}`;
	let stop = false;
	await Promise.all(clients.map(warmUp));
	const latencies = [];
	const t0 = nowNs();
	setTimeout(() => { stop = true; }, seconds * 1000);
	await Promise.all(clients.map(async (client) => {
		while (!stop) {
			const start = nowNs();
			// one slot per client: every acquire is admitted
			const s = new Semaphore(client, key, clientCount);
			await s.acquire();
			await s.release();
			latencies.push(Number(nowNs() - start));
		}
	}));
	const elapsed = Number(nowNs() - t0) / 1e9;
	latencies.sort((a, b) => a - b);
	console.log(`pairs impl=peer clients=${clientCount} pairs=${latencies.length} ` +
		`seconds=${elapsed.toFixed(2)} rate=${(latencies.length / elapsed).toFixed(0)} ` +
		`p50_us=${(percentile(latencies, 0.5) / 1e3).toFixed(0)} ` +
		`p99_us=${(percentile(latencies, 0.99) / 1e3).toFixed(0)} errors=0`);
	await Promise.all(clients.map((c) => c.quit()));
}

async function contention(port, max, clientCount, holdMs, total) {
	const clients = await connect(port, clientCount);
	const key = 'bench-contention';
	await Promise.all(clients.map(warmUp));
	const waits = [];
	const shares = clients.map(() => 0);
	let claimed = 0;
	const t0 = nowNs();
	await Promise.all(clients.map(async (client, i) => {
		while (claimed++ < total) {
			const start = nowNs();
			const s = new Semaphore(client, key, max, { acquireTimeout: WAIT_MS });
			await s.acquire();
			waits.push(Number(nowNs() - start));
			shares[i]++;
			await sleep(holdMs);
			await s.release();
		}
	}));
	const elapsed = Number(nowNs() - t0) / 1e9;
	waits.sort((a, b) => a - b);
	console.log(`contention impl=peer max=${max} clients=${clientCount} hold_ms=${holdMs} ` +
		`acquisitions=${waits.length} seconds=${elapsed.toFixed(2)} ` +
		`p50_ms=${(percentile(waits, 0.5) / 1e6).toFixed(1)} ` +
		`p99_ms=${(percentile(waits, 0.99) / 1e6).toFixed(1)} ` +
		`max_ms=${(percentile(waits, 1) / 1e6).toFixed(1)} ` +
		`min_share=${Math.min(...shares)} max_share=${Math.max(...shares)} errors=0`);
	await Promise.all(clients.map((c) => c.quit()));
}

function num(s, what) {
	const v = Number(s);
	if (!Number.isInteger(v) || v < 0)
		throw new Error(`bad ${what} '${s}'`);
	return v;
}

async function main(argv) {
	const [mode, ...args] = argv;
	if (mode === 'pairs' && args.length === 3)
		return pairs(num(args[0], 'port'), num(args[1], 'number of clients'),
			num(args[2], 'number of seconds'));
	if (mode === 'contention' && args.length === 5)
		return contention(num(args[0], 'port'), num(args[1], 'max'),
			num(args[2], 'number of clients'), num(args[3], 'hold'),
			num(args[4], 'number of acquisitions'));
	console.error('usage: node peer.js pairs PORT CLIENTS SECONDS\n' +
		'       node peer.js contention PORT MAX CLIENTS HOLD_MS TOTAL');
	process.exitCode = 2;
}

main(process.argv.slice(2)).catch((err) => {
	console.error(`peer.js: ${err.stack || err}`);
	process.exitCode = 1;
});
