// Writes media/icon.png (128×128): a purple rounded square with a small top-down flow graph, the
// extension's subject. Drawn from signed distances with 4×4 supersampling; no image library.
//   node scripts/generateIcon.mjs
import fs from 'node:fs';
import zlib from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4;

const nodes = [
  { x: 64, y: 30, r: 12 },
  { x: 36, y: 70, r: 11 },
  { x: 92, y: 70, r: 11 },
  { x: 64, y: 102, r: 12 },
];
const edges = [[0, 1], [0, 2], [1, 3], [2, 3]];

function roundedSquare(x, y) {
  const half = SIZE / 2;
  const radius = 24;
  const dx = Math.max(Math.abs(x - half) - (half - radius), 0);
  const dy = Math.max(Math.abs(y - half) - (half - radius), 0);
  return Math.hypot(dx, dy) - radius;
}

function segmentDistance(x, y, a, b) {
  const vx = b.x - a.x;
  const vy = b.y - a.y;
  const t = Math.max(0, Math.min(1, ((x - a.x) * vx + (y - a.y) * vy) / (vx * vx + vy * vy)));
  return Math.hypot(x - (a.x + t * vx), y - (a.y + t * vy));
}

/** RGBA of one sample point. */
function sample(x, y) {
  if (roundedSquare(x, y) > 0) return [0, 0, 0, 0];
  // Background: Elixir's purple, lighter at the top.
  const t = y / SIZE;
  let colour = [Math.round(110 - 50 * t), Math.round(60 - 30 * t), Math.round(170 - 60 * t)];
  if (edges.some(([a, b]) => segmentDistance(x, y, nodes[a], nodes[b]) < 3.2)) colour = [214, 196, 240];
  for (const [index, node] of nodes.entries()) {
    const distance = Math.hypot(x - node.x, y - node.y);
    if (distance < node.r) colour = distance > node.r - 3 ? [255, 255, 255] : index === 0 ? [255, 196, 87] : [246, 240, 255];
  }
  return [...colour, 255];
}

const pixels = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y += 1) {
  pixels[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x += 1) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SAMPLES; sy += 1) {
      for (let sx = 0; sx < SAMPLES; sx += 1) {
        const [r, g, b, a] = sample(x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES);
        // Premultiplied, so transparent samples do not darken the edge.
        sum[0] += r * a; sum[1] += g * a; sum[2] += b * a; sum[3] += a;
      }
    }
    const offset = y * (SIZE * 4 + 1) + 1 + x * 4;
    const alpha = sum[3] / (SAMPLES * SAMPLES);
    for (let c = 0; c < 3; c += 1) pixels[offset + c] = sum[3] === 0 ? 0 : Math.round(sum[c] / sum[3]);
    pixels[offset + 3] = Math.round(alpha);
  }
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', zlib.deflateSync(pixels, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
fs.mkdirSync('media', { recursive: true });
fs.writeFileSync('media/icon.png', png);
console.log(`media/icon.png: ${png.length} bytes`);
