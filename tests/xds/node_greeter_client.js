// A Node.js gRPC client (@grpc/grpc-js + @grpc/grpc-js-xds) calling the
// greeter through `xds:///<service>`, for the cross-language test. The xDS
// bootstrap comes from GRPC_XDS_BOOTSTRAP, as for any grpc-js-xds client.
//
//   node node_greeter_client.js <greeter.proto> <service> <calls>
//
// Prints one JSON line: {"ok": n, "failed": n, "served_by": {addr: n}, "last_error": "..."}.
'use strict';

const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protoLoader = require('@grpc/proto-loader');

async function main() {
  const [protoPath, service, callsText] = process.argv.slice(2);
  const calls = Number(callsText);
  grpcXds.register();
  const definition = protoLoader.loadSync(protoPath, {keepCase: true});
  const proto = grpc.loadPackageDefinition(definition).switchboard.examples;
  const client = new proto.Greeter(`xds:///${service}`, grpc.credentials.createInsecure());

  const result = {ok: 0, failed: 0, served_by: {}, last_error: ''};
  const sayHello = () => new Promise((resolve) => {
    const deadline = new Date(Date.now() + 10000);
    client.SayHello({name: 'node'}, {deadline}, (error, reply) => resolve({error, reply}));
  });
  for (let i = 0; i < calls; i++) {
    const {error, reply} = await sayHello();
    if (error) {
      result.failed++;
      result.last_error = `${error.code}: ${error.details}`;
    } else {
      result.ok++;
      result.served_by[reply.served_by] = (result.served_by[reply.served_by] || 0) + 1;
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
