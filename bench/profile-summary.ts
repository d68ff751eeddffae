/**
 * Summarize a V8 .cpuprofile (from `node --cpu-prof`): self time by function (file:line) and by area
 * (our src/, bullmq, ioredis, undici/fetch, node internals, GC...).
 *
 *   node dist/bench/profile-summary.js FILE.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: HotSpot[];
  areas: HotSpot[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) return path.slice(nm + '/node_modules/'.length);
  const dist = path.indexOf('/dist/');
  if (dist !== -1) return path.slice(dist + '/dist/'.length);
  return path;
}

function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(idle)') return 'idle';
    if (frame.functionName === '(program)') return 'V8/native (program)';
    return `native: ${frame.functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) {
    if (url.includes('undici') || url.includes('fetch')) return 'node: undici/fetch';
    if (url.includes('/streams') || url.includes('stream')) return 'node: streams';
    if (url.includes('net') || url.includes('http')) return 'node: net/http';
    return 'node: other internals';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length);
    const parts = rest.split('/');
    return `npm: ${parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? rest)}`;
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) {
    const rest = url.slice(dist + '/dist/'.length).split('/');
    return `ours: ${rest.slice(0, rest.length > 2 ? 2 : 1).join('/')}`;
  }
  return url;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfByNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    if (id === undefined) continue;
    // timeDeltas[i] is the time before sample i; attribute the next delta (time spent in this sample).
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + delta);
  }
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfByNode) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') continue;
    total += micros;
    const where = frame.url === '' ? '' : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + micros);
  }
  const rank = (map: Map<string, number>, n: number): HotSpot[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => ({ name, selfMs: Math.round(micros / 100) / 10, share: total === 0 ? 0 : micros / total }));
  return { totalMs: Math.round(total / 1000), functions: rank(functions, top), areas: rank(areas, 20) };
}

export async function summarizeProfileFile(file: string, top = 25): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top);
}

export function formatSummary(title: string, summary: ProfileSummary): string {
  const lines = [`## ${title}: ${summary.totalMs} ms of CPU (idle excluded)`, '', 'By area (self time):'];
  for (const spot of summary.areas) lines.push(`  ${(spot.share * 100).toFixed(1).padStart(5)}%  ${String(spot.selfMs).padStart(8)} ms  ${spot.name}`);
  lines.push('', 'Top functions (self time):');
  for (const spot of summary.functions) lines.push(`  ${(spot.share * 100).toFixed(1).padStart(5)}%  ${String(spot.selfMs).padStart(8)} ms  ${spot.name}`);
  return lines.join('\n');
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const file = process.argv[2];
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex === -1 ? 25 : Number(process.argv[topIndex + 1]);
  if (file === undefined) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N]\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${formatSummary(file, await summarizeProfileFile(file, top))}\n`);
  }
}
