// A Node.js gRPC client (@grpc/grpc-js + @grpc/grpc-js-xds) calling the
// greeter through `xds:///<service>`, for the cross-language test. The xDS
// bootstrap comes from GRPC_XDS_BOOTSTRAP, as for any grpc-js-xds client.
//
//   node node_greeter_client.js <greeter.proto> <service> <calls> [<header> <keys>]
//
// With <header> and <keys>, call i carries header <header>: key-<i % keys>
// (what a ring_hash route hashes), and the output also tells which servers
// served each key.
//
// Prints one JSON line: {"ok": n, "failed": n, "served_by": {addr: n},
// "by_key": {key: {addr: n}}, "last_error": "..."}.
'use strict';

const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protoLoader = require('@grpc/proto-loader');

async function main() {
  const [protoPath, service, callsText, header, keysText] = process.argv.slice(2);
  const calls = Number(callsText);
  const keys = header ? Number(keysText) : 0;
  grpcXds.register();
  const definition = protoLoader.loadSync(protoPath, {keepCase: true});
  const proto = grpc.loadPackageDefinition(definition).switchboard.examples;
  const client = new proto.Greeter(`xds:///${service}`, grpc.credentials.createInsecure());

  const result = {ok: 0, failed: 0, served_by: {}, by_key: {}, last_error: ''};
  const sayHello = (metadata) => new Promise((resolve) => {
    const deadline = new Date(Date.now() + 10000);
    client.SayHello({name: 'node'}, metadata, {deadline}, (error, reply) => resolve({error, reply}));
  });
  for (let i = 0; i < calls; i++) {
    const metadata = new grpc.Metadata();
    const key = keys > 0 ? `key-${i % keys}` : '';
    if (key) metadata.set(header, key);
    const {error, reply} = await sayHello(metadata);
    if (error) {
      result.failed++;
      result.last_error = `${error.code}: ${error.details}`;
    } else {
      result.ok++;
      result.served_by[reply.served_by] = (result.served_by[reply.served_by] || 0) + 1;
      if (key) {
        const servers = result.by_key[key] || (result.by_key[key] = {});
        servers[reply.served_by] = (servers[reply.served_by] || 0) + 1;
      }
    }
  }
  console.log(JSON.stringify(result));
  client.close();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
