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
// A <service> with a ':' is a plain target dialled as it is, without xDS
// ("127.0.0.1:9001", "dns:///localhost:9001"): the proxy model.
//
// Prints one JSON line: {"ok": n, "failed": n, "served_by": {addr: n},
// "by_key": {key: {addr: n}}, "last_error": "..."}.
//
//   node node_greeter_client.js <greeter.proto> --timed '<plan>'
//
// For tests of call timeouts: <plan> is JSON, [{"service": s, "calls":
// [{"delay_ms": n, "wait_for_ready": bool}]}]. The sequences run at once,
// the calls of each one after the other; a call asks the server to wait
// delay_ms before answering (HelloRequest.delay_ms). Prints one JSON line:
// [[{"code": n, "elapsed_ms": n}]], in the plan's order.
'use strict';

const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protoLoader = require('@grpc/proto-loader');

// Runs a --timed plan on `proto` (see the top of the file).
async function runTimedPlan(proto, plan) {
  const runSequence = async ({service, calls}) => {
    const client = new proto.Greeter(`xds:///${service}`, grpc.credentials.createInsecure());
    const results = [];
    for (const call of calls) {
      const metadata = new grpc.Metadata();
      if (call.wait_for_ready) metadata.setOptions({waitForReady: true});
      // Far beyond any timeout under test: only the route's ends a call.
      const deadline = new Date(Date.now() + 20000);
      const start = process.hrtime.bigint();
      const code = await new Promise((resolve) => {
        client.SayHello({name: 'node', delay_ms: call.delay_ms}, metadata, {deadline},
                        (error) => resolve(error ? error.code : 0));
      });
      results.push({code, elapsed_ms: Number(process.hrtime.bigint() - start) / 1e6});
    }
    client.close();
    return results;
  };
  return Promise.all(plan.map(runSequence));
}

async function main() {
  if (process.argv[3] === '--timed') {
    grpcXds.register();
    const definition = protoLoader.loadSync(process.argv[2], {keepCase: true});
    const proto = grpc.loadPackageDefinition(definition).switchboard.examples;
    console.log(JSON.stringify(await runTimedPlan(proto, JSON.parse(process.argv[4]))));
    process.exit(0);
  }
  const [protoPath, service, callsText, header, keysText] = process.argv.slice(2);
  const calls = Number(callsText);
  const keys = header ? Number(keysText) : 0;
  grpcXds.register();
  const definition = protoLoader.loadSync(protoPath, {keepCase: true});
  const proto = grpc.loadPackageDefinition(definition).switchboard.examples;
  const target = service.includes(':') ? service : `xds:///${service}`;
  const client = new proto.Greeter(target, grpc.credentials.createInsecure());

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
