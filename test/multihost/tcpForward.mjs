// Test helper: forwards TCP connections from LISTEN_HOST:PORT to TARGET_HOST:PORT.
// The multi-host test runs it inside the chain's namespace, so that anvil, which
// `concord chain up` binds to the namespace's own loopback, answers on the
// namespace's address. Usage: node tcpForward.mjs LISTEN_HOST TARGET_HOST PORT
import { connect, createServer } from 'node:net';

const [listenHost, targetHost, port] = process.argv.slice(2);
const server = createServer((inbound) => {
  const outbound = connect(Number(port), targetHost);
  inbound.pipe(outbound).pipe(inbound);
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
});
server.listen(Number(port), listenHost, () => console.log(`forwarding ${listenHost}:${port}`));
