// Interop with an independent gRPC implementation, @grpc/grpc-js.
//   node interop.js client <http://host:port>  calls our server; prints one JSON object of what it saw
//   node interop.js server                     serves the Echo contract; prints "LISTENING <port>"
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const load = (file) => grpc.loadPackageDefinition(loader.loadSync(file, { keepCase: false, longs: Number, defaults: true }));
const echoProto = load(path.join(__dirname, '..', 'Protos', 'echo.proto')).fleet.test.v1;
const healthProto = load(path.join(__dirname, 'health.proto')).grpc.health.v1;

const errorOf = (e) => ({ code: e.code, details: e.details, failed: e.metadata ? (e.metadata.get('x-failed')[0] || null) : null });

async function runClient(address) {
  const target = address.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const echo = new echoProto.Echo(target, grpc.credentials.createInsecure());
  const seen = {};

  seen.unary = await new Promise((resolve) => {
    const md = new grpc.Metadata();
    md.set('x-echo', 'from-node');
    const result = {};
    const call = echo.unary({ text: 'héllo from node', payload: Buffer.from([1, 2, 3]) }, md, (err, reply) => {
      result.error = err ? errorOf(err) : null;
      if (reply) { result.text = reply.text; result.payload = [...reply.payload]; }
    });
    call.on('metadata', (m) => { result.echoed = m.get('x-echoed')[0] || null; });
    call.on('status', (s) => { result.trailer = s.metadata.get('x-trailer')[0] || null; result.code = s.code; resolve(result); });
  });

  seen.serverStream = await new Promise((resolve) => {
    const indexes = [];
    const call = echo.serverStream({ text: 's', repeat: 5 });
    call.on('data', (r) => indexes.push(r.index));
    call.on('error', (e) => resolve({ error: errorOf(e) }));
    call.on('end', () => resolve({ indexes }));
  });

  seen.clientStream = await new Promise((resolve) => {
    const call = echo.clientStream((err, reply) => resolve(err ? { error: errorOf(err) } : { text: reply.text, count: reply.index }));
    for (const text of ['a', 'b', 'c']) call.write({ text });
    call.end();
  });

  seen.duplex = await new Promise((resolve) => {
    const texts = [];
    const call = echo.duplex();
    call.on('data', (r) => { texts.push(r.text); if (texts.length < 3) call.write({ text: `d${texts.length}` }); else call.end(); });
    call.on('error', (e) => resolve({ error: errorOf(e) }));
    call.on('end', () => resolve({ texts }));
    call.write({ text: 'd0' });
  });

  seen.failure = await new Promise((resolve) =>
    echo.unary({ failWithCode: 5, failMessage: 'no such session 100%' }, (err) => resolve(err ? errorOf(err) : null)));

  seen.deadline = await new Promise((resolve) =>
    echo.unary({ text: 'slow', delayMs: 10000 }, { deadline: Date.now() + 300 }, (err) => resolve(err ? errorOf(err) : null)));

  seen.unimplemented = await new Promise((resolve) =>
    echo.makeUnaryRequest('/fleet.test.v1.Nobody/Home', (x) => Buffer.from([]), (b) => b, {}, (err) => resolve(err ? errorOf(err) : null)));

  seen.oversized = await new Promise((resolve) => {
    const big = new echoProto.Echo(target, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 16 * 1024 * 1024 });
    big.unary({ payload: Buffer.alloc(5 * 1024 * 1024) }, (err) => resolve(err ? errorOf(err) : null));
  });

  seen.health = await new Promise((resolve) => {
    const health = new healthProto.Health(target, grpc.credentials.createInsecure());
    health.check({ service: '' }, (err, reply) => resolve(err ? { error: errorOf(err) } : { status: reply.status }));
  });

  process.stdout.write(JSON.stringify(seen) + '\n');
  process.exit(0);
}

function runServer() {
  const server = new grpc.Server();
  const sleep = (ms, call) => new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    call.on('cancelled', () => { clearTimeout(timer); process.stdout.write(`CANCELLED ${call.request ? call.request.text : ''}\n`); reject(new Error('cancelled')); });
  });
  const fail = (request) => request.failWithCode
    ? Object.assign(new Error(request.failMessage), { code: request.failWithCode, details: request.failMessage, metadata: (() => { const m = new grpc.Metadata(); m.set('x-failed', 'yes'); return m; })() })
    : null;

  server.addService(echoProto.Echo.service, {
    unary: async (call, callback) => {
      const error = fail(call.request);
      if (error) return callback(error);
      if (call.request.delayMs) { try { await sleep(call.request.delayMs, call); } catch { return; } }
      const echoValue = call.metadata.get('x-echo')[0];
      const trailer = new grpc.Metadata();
      if (echoValue) {
        const headers = new grpc.Metadata();
        headers.set('x-echoed', echoValue);
        call.sendMetadata(headers);
        trailer.set('x-trailer', `bye ${echoValue}`);
      }
      callback(null, { text: call.request.text, payload: call.request.payload, index: 0 }, trailer);
    },
    serverStream: async (call) => {
      const error = fail(call.request);
      if (error) return call.emit('error', error);
      for (let i = 0; i < Math.max(1, call.request.repeat); i++) {
        if (call.request.delayMs) { try { await sleep(call.request.delayMs, call); } catch { return; } }
        call.write({ text: call.request.text, index: i });
      }
      call.end();
    },
    clientStream: (call, callback) => {
      const texts = [];
      call.on('data', (r) => texts.push(r.text));
      call.on('end', () => callback(null, { text: texts.join(','), index: texts.length }));
    },
    duplex: (call) => {
      let index = 0;
      call.on('data', (r) => {
        const error = fail(r);
        if (error) { call.emit('error', error); return; }
        call.write({ text: r.text, index: index++ });
      });
      call.on('end', () => call.end());
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) { process.stderr.write(String(err)); process.exit(1); }
    process.stdout.write(`LISTENING ${port}\n`);
  });
  process.stdin.on('end', () => server.forceShutdown());
  process.stdin.resume();
}

const [mode, address] = process.argv.slice(2);
if (mode === 'client') runClient(address).catch((e) => { process.stderr.write(String(e.stack)); process.exit(1); });
else if (mode === 'server') runServer();
else { process.stderr.write('usage: node interop.js client <address> | server\n'); process.exit(2); }
