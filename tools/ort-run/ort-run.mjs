#!/usr/bin/env node
// Reference runner for TinyFormer tests: runs an ONNX model on ONNX Runtime (CPU).
//
//   node tools/ort-run/ort-run.mjs model.onnx input.npy output.npy
//
// - input.npy: little-endian, C-order .npy (format 1.0/2.0/3.0) of dtype
//   float32, int8, uint8, int64 (or float64). It is fed to the model's FIRST input; if the
//   model input has a different element type the values are converted.
// - output.npy: the model's FIRST output, written as float32 .npy (v1.0).
// - Graph optimization level 'basic' (exact QDQ semantics; 'all' fuses int8
//   kernels that may saturate differently), 1 intra-op thread.
// - onnxruntime-node is looked up relative to this file (tools/ort-run/node_modules),
//   then in the NODE_PATH directories.
// On any problem: one line "ort-run: error: ..." on stderr and exit code 1.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

function fail(msg) {
  process.stderr.write(`ort-run: error: ${String(msg).split('\n')[0]}\n`);
  process.exit(1);
}

function loadOrt() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const req = createRequire(path.join(here, 'ort-run.mjs'));
  const searchPaths = [here];
  for (const p of (process.env.NODE_PATH || '').split(path.delimiter)) {
    if (p) searchPaths.push(p);
  }
  let resolved;
  try {
    resolved = req.resolve('onnxruntime-node', { paths: searchPaths });
  } catch (e) {
    fail('cannot find module onnxruntime-node (run `ONNXRUNTIME_NODE_INSTALL=skip npm install` ' +
         `in ${here}, or set NODE_PATH to a node_modules dir containing it)`);
  }
  try {
    return req(resolved);
  } catch (e) {
    fail(`cannot load onnxruntime-node from ${resolved}: ${e.message}`);
  }
}

// ---------------------------------------------------------------- .npy I/O
const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

const DTYPES = {
  // descr (after byte-order char) -> [ort type, TypedArray, itemsize]
  f4: ['float32', Float32Array, 4],
  f8: ['float64', Float64Array, 8],
  i1: ['int8', Int8Array, 1],
  u1: ['uint8', Uint8Array, 1],
  i8: ['int64', BigInt64Array, 8],
};

function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(`cannot read ${file}: ${e.code || e.message}`);
  }
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) {
    fail(`${file}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen, off;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    off = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail(`${file}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8);
    off = 12;
  } else {
    fail(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (off + headerLen > buf.length) fail(`${file}: truncated .npy header`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', off, off + headerLen);
  const descrM = header.match(/['"]descr['"]\s*:\s*['"]([^'"]+)['"]/);
  const fortM = header.match(/['"]fortran_order['"]\s*:\s*(True|False)/);
  const shapeM = header.match(/['"]shape['"]\s*:\s*\(([^)]*)\)/);
  if (!descrM || !fortM || !shapeM) fail(`${file}: cannot parse .npy header: ${header.trim()}`);
  if (fortM[1] === 'True') fail(`${file}: fortran_order arrays are not supported`);
  const descr = descrM[1];
  const order = descr[0];
  const kind = descr.slice(1);
  if (!(kind in DTYPES) || !(order === '<' || order === '|' || (order === '=' && kind.endsWith('1')))) {
    fail(`${file}: unsupported dtype '${descr}' (need little-endian float32, float64, int8, uint8 or int64)`);
  }
  if (kind.endsWith('1') === false && order !== '<') {
    fail(`${file}: unsupported dtype '${descr}' (need little-endian)`);
  }
  const dims = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(v) || v < 0) fail(`${file}: bad shape in .npy header: (${shapeM[1]})`);
    return v;
  });
  const [type, Arr, itemsize] = DTYPES[kind];
  const count = dims.reduce((a, b) => a * b, 1);
  const dataOff = off + headerLen;
  if (buf.length - dataOff < count * itemsize) {
    fail(`${file}: truncated data: need ${count * itemsize} bytes, have ${buf.length - dataOff}`);
  }
  // Copy into an aligned buffer.
  const raw = new Uint8Array(count * itemsize);
  raw.set(buf.subarray(dataOff, dataOff + count * itemsize));
  return { type, dims, data: new Arr(raw.buffer) };
}

function writeNpyFloat32(file, dims, data) {
  const shapeStr = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const preamble = 10;
  const total = Math.ceil((preamble + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - preamble - header.length - 1) + '\n';
  const h = Buffer.alloc(preamble);
  NPY_MAGIC.copy(h, 0);
  h[6] = 1;
  h[7] = 0;
  h.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    fs.writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), body]));
  } catch (e) {
    fail(`cannot write ${file}: ${e.code || e.message}`);
  }
}

function convert(data, toType) {
  const Ctor = {
    float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
    int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
    int64: BigInt64Array, uint64: BigUint64Array,
  }[toType];
  if (!Ctor) fail(`model input element type '${toType}' is not supported by ort-run`);
  const out = new Ctor(data.length);
  const big = Ctor === BigInt64Array || Ctor === BigUint64Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = big ? BigInt(Math.round(Number(v))) : Number(v);
  }
  return out;
}

function toFloat32(data) {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

// ---------------------------------------------------------------- main
async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 3 || args.includes('-h') || args.includes('--help')) {
    fail('usage: node ort-run.mjs model.onnx input.npy output.npy');
  }
  const [modelPath, inPath, outPath] = args;
  if (!fs.existsSync(modelPath)) fail(`cannot read ${modelPath}: ENOENT`);
  const input = readNpy(inPath);
  const ort = loadOrt();

  let session;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'basic',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
  } catch (e) {
    fail(`cannot load model ${modelPath}: ${e.message}`);
  }
  if (session.inputNames.length === 0) fail(`${modelPath}: model has no inputs`);
  if (session.outputNames.length === 0) fail(`${modelPath}: model has no outputs`);
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];

  let data = input.data;
  let type = input.type;
  const meta = session.inputMetadata && session.inputMetadata[0];
  if (meta && meta.isTensor) {
    if (meta.type && meta.type !== type) {
      data = convert(data, meta.type);
      type = meta.type;
    }
    const want = meta.shape || [];
    if (want.length > 0) {
      const ok = want.length === input.dims.length &&
        want.every((d, i) => typeof d !== 'number' || d < 0 || d === input.dims[i]);
      if (!ok) {
        fail(`input shape [${input.dims.join(',')}] does not match model input '${inName}' ` +
             `shape [${want.join(',')}]`);
      }
    }
  }

  let results;
  try {
    const feeds = { [inName]: new ort.Tensor(type, data, input.dims) };
    results = await session.run(feeds, [outName]);
  } catch (e) {
    fail(`inference failed: ${e.message}`);
  }
  const out = results[outName];
  if (!out || out.data === undefined || typeof out.data === 'string' || Array.isArray(out.data)) {
    fail(`output '${outName}' is not a numeric tensor`);
  }
  writeNpyFloat32(outPath, out.dims.map(Number), toFloat32(out.data));
}

main().catch((e) => fail(e && e.message ? e.message : e));
