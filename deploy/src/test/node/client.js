// An independent gRPC client of a running shard: Node's @grpc/grpc-js with @grpc/proto-loader on
// the published .proto files. Usage: node client.js PROTO_ROOT HOST:PORT. Prints one "ok ..." line
// per check and exits 0, or prints "FAIL ..." and exits 1. Run by NodeClientIT.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [protoRoot, target] = process.argv.slice(2);
const def = protoLoader.loadSync(path.join(protoRoot, 'tempora/v1/tempora.proto'), {
  includeDirs: [protoRoot], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const v1 = grpc.loadPackageDefinition(def).tempora.v1;
const client = new v1.TemporaService(target, grpc.credentials.createInsecure());

function call(method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 10000);
    client[method](request, { deadline }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function check(cond, what, detail) {
  if (!cond) {
    console.log(`FAIL ${what}: ${JSON.stringify(detail)}`);
    process.exit(1);
  }
  console.log(`ok ${what}`);
}

function rec(perspective, uid, descriptors) {
  return {
    identity: { entity_type: 'person', perspective, uid },
    descriptors: descriptors.map(([attr, value, start, end]) => ({
      attr, value, interval: { start, end },
    })),
  };
}

async function main() {
  const ont = await call('SetOntology', {
    ontology: { identity_keys: [{ name: 'email_key', attributes: ['email'] }] },
  });
  check(Number(ont.version) >= 1, 'set ontology', ont);

  const ingested = await call('Ingest', {
    records: [
      rec('crm', 'n1', [['email', 'ann@x', '0', '100'], ['name', 'Ann', '0', '100']]),
      rec('erp', 'n2', [['email', 'ann@x', '50', '200'], ['name', 'Anne', '50', '200']]),
      rec('hr', 'n3', [['email', 'bob@y', '0', '100'], ['name', 'Bob', '0', '100']]),
    ],
  });
  check(ingested.items.length === 3 &&
      ingested.items.every((it, i) => it.index === i && it.outcome === 'OUTCOME_CREATED'),
  'ingest three records', ingested.items);

  const query = await call('QueryEntities', {
    descriptors: [{ attr: 'email', value: 'ann@x' }], window: {},
  });
  const matches = query.matches ? query.matches.matches : [];
  check(matches.length === 1, 'query email=ann@x matches one entity', query);

  const entity = await call('GetEntity', { entity_id: matches[0].entity_id });
  const members = entity.members.map((m) => `${m.identity.perspective}:${m.identity.uid}`).sort();
  check(JSON.stringify(members) === '["crm:n1","erp:n2"]', 'get entity has crm:n1 and erp:n2',
      entity.members);

  const conflicts = await call('ListConflicts', { filter: {}, page_size: 100 });
  check(conflicts.items.some((c) => c.kind === 'CONFLICT_KIND_DIRECT' && c.attribute === 'name' &&
      c.interval.start === '50' && c.interval.end === '100'),
  'list conflicts shows the name conflict over [50, 100)', conflicts.items);

  try {
    await call('Ingest', { records: [{ descriptors: [{ attr: 'email', value: 'x' }] }] });
    check(false, 'bad request rejected', 'accepted');
  } catch (err) {
    check(err.code === grpc.status.INVALID_ARGUMENT && /identity/.test(err.details),
        `bad request rejected with INVALID_ARGUMENT (${err.details})`, err.details);
  }
  client.close();
}

main().catch((err) => {
  console.log(`FAIL unexpected error: ${err.code} ${err.details || err.message}`);
  process.exit(1);
});
