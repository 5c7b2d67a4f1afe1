// A lost WebGPU device (a driver reset, an unplugged GPU, here destroy()) fails every later run
// with a clear error instead of hanging, and the next compile gets a new device.

import { expect, test } from 'vitest';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import { webgpuDevice } from '../../runtime/webgpu-device.js';
import { compile } from '../../src/compile.js';
import { describeWebGpu } from '../support/webgpu.js';
import { expectClose, inputsFor } from './agreement.js';
import { rejectionOf } from '../catch-kiln.js';

describeWebGpu('a lost device', () => {
  test('runs after the loss are refused with KilnRuntimeError; a new compile runs on a new device', async () => {
    const g = mnistMlpGraph([8]);
    const inputs = inputsFor(g, { B: 2 }, 1);
    const exe = await compile(g, { backend: 'webgpu', shapes: { B: 2 } });
    const before = await exe.run(inputs);
    const { device } = await webgpuDevice();
    device.destroy();
    await device.lost;
    const e = await rejectionOf(exe.run(inputs));
    expect(e).toBeInstanceOf(KilnRuntimeError);
    expect((e as Error).message).toMatch(/^WebGPU: the device was lost \(destroyed: .*\); compile the program again$/);
    const again = await compile(g, { backend: 'webgpu', shapes: { B: 2 } });
    again.setParams(exe.params());
    expect((await webgpuDevice()).device).not.toBe(device);
    const after = await again.run(inputs);
    for (const [name, t] of Object.entries(before)) expectClose(name, after[name]!, t);
  });
});
