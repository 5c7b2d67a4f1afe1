// The batch field of a manifest, edited on purpose with the hash recomputed: the loader checks it
// against the program (every listed input and output has max rows on axis 0, each listed once),
// refusing what does not fit, naming the field; without the field the shapes are fixed again.

import { describe, expect, it } from 'vitest';
import { artifactFromObject, artifactHash } from '../../runtime/artifact.js';
import { executableFromArtifact } from '../../runtime/executable.js';
import { kernelProgram } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { encodeArtifact } from '../../src/kernels/artifact.js';
import { jsonCopy, obj, type JsonObject } from '../support/json.js';
import { refusalSync } from './artifact-refusal.js';

const ROWS = 4;

/** y = relu(x) and s = x's sum: only y is batched. */
function program() {
  const g = new GraphBuilder('rows');
  const x = g.input('x', { dtype: 'f32', shape: [ROWS, 3] });
  g.output('y', g.emit('relu', [x]));
  g.output('s', g.emit('reduce_sum', [x], { axes: [0, 1], keepdims: false }));
  return kernelProgram(g.build(), {});
}

const BATCH = { dim: 'B', inputs: ['x'], outputs: ['y'] };

/** A js artifact of program() with a variable batch, its manifest edited by `edit` and its hash recomputed. */
function tampered(edit: (m: JsonObject) => void): JsonObject {
  const m = obj(jsonCopy(encodeArtifact(program(), { target: 'js', batch: BATCH }).manifest));
  edit(m);
  m.hash = artifactHash(m, undefined);
  return m;
}

const batchOf = (m: JsonObject): JsonObject => obj(m.batch ?? null);

describe('manifest batch field', () => {
  it('loads untouched, with the batch the compiler wrote', () => {
    expect(artifactFromObject(tampered(() => undefined)).batch).toEqual({ dim: 'B', max: ROWS, inputs: ['x'], outputs: ['y'] });
  });

  it('refuses a max that is not the rows of the program, or not a positive integer', () => {
    const at = 'manifest.json: batch: ';
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).max = 8))))).toBe(`${at}'x' has 4 rows, but max is 8`);
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).max = 0))))).toBe(`${at}max must be a positive integer, got 0`);
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).max = 2.5))))).toBe(`${at}max must be a positive integer, got 2.5`);
  });

  it('refuses listed inputs and outputs that the program lacks, repeats, or that have no batch axis', () => {
    const at = 'manifest.json: batch: ';
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).inputs = ['y']))))).toBe(`${at}inputs: 'y' is not one of the program's inputs (x)`);
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).outputs = ['y', 'y']))))).toBe(`${at}outputs: 'y' is listed twice`);
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).outputs = ['y', 's']))))).toBe(`${at}'s' has no axis 0, but max is 4`);
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).inputs = []))))).toBe(`${at}inputs must be a non-empty list of names, got []`);
  });

  it('refuses a batch that is not an object, has no dim, or has a field it does not know', () => {
    expect(refusalSync(() => artifactFromObject(tampered((m) => (m.batch = 4))))).toBe('manifest.json: batch: expected { dim, max, inputs, outputs }, got 4');
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).dim = ''))))).toBe('manifest.json: batch: dim must be a name, got ""');
    expect(refusalSync(() => artifactFromObject(tampered((m) => (batchOf(m).min = 1))))).toBe('manifest.json: batch: unknown field "min"');
  });

  it('an edit without a new hash is a hash mismatch', () => {
    const m = tampered(() => undefined);
    batchOf(m).max = 2;
    expect(refusalSync(() => artifactFromObject(m))).toBe('manifest.json: hash mismatch: the manifest changed after the artifact was written');
  });

  it('without the field the shapes are fixed: a smaller batch is refused at the door, not padded', async () => {
    const exe = executableFromArtifact(
      artifactFromObject(
        tampered((m) => {
          delete m.batch;
        }),
      ),
    );
    await expect(exe.run({ x: new Float32Array(6) })).rejects.toThrow("input 'x': expected 12 elements for f32[4, 3], got 6");
  });

  it('the compiler refuses to write a batch the program does not have', () => {
    expect(refusalSync(() => encodeArtifact(program(), { target: 'js', batch: { ...BATCH, outputs: ['z'] } }))).toBe(
      "artifact: batch: outputs: 'z' is not one of the program's outputs (y, s)",
    );
    expect(refusalSync(() => encodeArtifact(program(), { target: 'js', batch: { ...BATCH, inputs: ['q'] } }))).toBe(
      "artifact: batch: inputs: 'q' is not one of the program's inputs (x)",
    );
  });
});
