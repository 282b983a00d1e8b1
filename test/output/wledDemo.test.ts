import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { demoWledOutput } from '../../src/cli/demo.js';
import { UsageError } from '../../src/cli/common.js';

// DDP header per 3waylabs.com/ddp: byte 0 bit 0 = push; bytes 4-7 offset, 8-9 length (big-endian).

let kill: (() => void) | undefined;
afterEach(() => {
  kill?.();
  kill = undefined;
});

describe('podglow demo --wled', () => {
  it('parses HOST[:PORT] and the size', () => {
    expect(demoWledOutput('192.168.1.60')).toMatchObject({ type: 'wled', host: '192.168.1.60' });
    expect(demoWledOutput('wled.local:4049', '16x8')).toMatchObject({ host: 'wled.local', port: 4049, width: 16, height: 8 });
    expect(demoWledOutput('[fe80::1]:4048', '150')).toMatchObject({ host: 'fe80::1', port: 4048, count: 150 });
    expect(() => demoWledOutput('a:b:c')).toThrow(UsageError);
    expect(() => demoWledOutput('host', '16by16')).toThrow(/--wled-size/);
  });

  it('drives a WLED stand-in over DDP and shows the wled output in the preview like any other', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    const pushes: Buffer[] = [];
    sock.on('message', (m: Buffer) => {
      if (m[0]! & 0x01) pushes.push(m);
    });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'demo', '--port', '0', '--wled', `127.0.0.1:${port}`, '--wled-size', '8x8'],
      {
        cwd: process.cwd(),
        env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PORT: '', NO_COLOR: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    kill = () => {
      child.kill('SIGKILL');
      sock.close();
    };
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (!(url = /preview at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1]) || pushes.length === 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`demo did not start: ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // An 8×8 frame: one packet, 192 bytes of RGB.
    expect(pushes[0]!.readUInt32BE(4)).toBe(0);
    expect(pushes[0]!.readUInt16BE(8)).toBe(192);
    const state = (await (await fetch(`${url}api/state`)).json()) as {
      outputs: { name: string; type: string; width: number; height: number }[];
    };
    expect(state.outputs.find((o) => o.name === 'wled')).toMatchObject({ type: 'wled', width: 8, height: 8 });
    const js = await (await fetch(`${url}app.js`)).text();
    expect(js).toContain("wled: 'WLED'");
  }, 30_000);
});

describe('podglow frame with wled and pio outputs', () => {
  it('renders each at its geometry: wled from its size, a pio HAT as 8×8', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podglow-frame-wled-'));
    try {
      const snap = join(dir, 's.json');
      const conf = join(dir, 'c.yaml');
      const zero = { running: 0, pending: 0, terminating: 0, crashing: 0, failed: 0, unknown: 0, succeeded: 0 };
      writeFileSync(
        snap,
        JSON.stringify({
          time: '2026-12-01T12:00:00.000Z',
          nodes: [{ name: 'pi-1', ready: true, unschedulable: false, pods: { ...zero, running: 3 } }],
          unscheduled: zero,
        }),
      );
      writeFileSync(
        conf,
        JSON.stringify({
          outputs: [
            { name: 'sign', type: 'wled', host: '127.0.0.1', width: 16, height: 4 },
            { name: 'hat', type: 'unicornhat', backend: 'pio' },
          ],
        }),
      );
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', 'frame', '--json', '--snapshot', snap, '--config', conf],
        {
          cwd: process.cwd(),
          env: { ...process.env, PODGLOW_CONFIG: '', PODGLOW_PROMETHEUS_URL: '' },
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        outputs: { name: string; type: string; width: number; height: number; leds: string[] }[];
      };
      expect(doc.outputs.map((o) => [o.name, o.type, o.width, o.height, o.leds.length])).toEqual([
        ['sign', 'wled', 16, 4, 64],
        ['hat', 'unicornhat', 8, 8, 64],
      ]);
      // Three running pods on one node show as lit LEDs on both.
      for (const o of doc.outputs) expect(o.leds.filter((c) => c !== '#000000').length).toBeGreaterThanOrEqual(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
