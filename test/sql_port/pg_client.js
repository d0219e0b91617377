// The npm `pg` client against the SQL port: node pg_client.js PORT PASSWORD
const { Client } = require("pg");

async function main() {
  const client = new Client({
    host: "127.0.0.1",
    port: Number(process.argv[2]),
    user: "analyst",
    password: process.argv[3],
    database: "quanta",
  });
  await client.connect();
  const result = await client.query(
    "SELECT order_id, status, amount FROM orders.orders WHERE status = $1", ["cancelled"]);
  for (const row of result.rows) console.log(`${row.order_id} ${row.status} ${row.amount}`);
  await client.end();
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
