// A service that reads one variable nobody documents: STRIPE_KEY.
const http = require("node:http");
const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const stripeKey = process.env.STRIPE_KEY;
const port = process.env.PORT || 3000;

if (process.env.NODE_ENV !== "production") console.log("dev mode");
console.log(`starting on ${port} as ${process.env.npm_package_name}`);
http.createServer((req, res) => res.end("ok")).listen(port);
module.exports = { pool, stripeKey };
