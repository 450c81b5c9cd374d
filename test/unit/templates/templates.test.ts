import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, TemplateNotFoundError } from '../../../shared/domain/errors.js';
import txt2imgFile from '../../../shared/templates/builtin/txt2img.json' with { type: 'json' };
import {
  createTemplateCatalog,
  loadTemplateCatalog,
  readTemplateDir,
} from '../../../shared/templates/catalog.js';

const UPLOAD = '0b7c4a52-4f0e-4b7a-9d0a-1c2b3d4e5f60';
const catalog = createTemplateCatalog();
const fixedRandom = () => 42;

function paramsError(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected INVALID_PARAMS');
}

describe('built-in templates', () => {
  it('renders txt2img with defaults, the given params, and a random seed when none is given', () => {
    // Act
    const { workflow, uploadIds } = catalog
      .get('txt2img')
      .render({ prompt: 'a red fox', steps: 12, width: 768 }, fixedRandom);
    // Assess
    expect(workflow['6']?.inputs.text).toBe('a red fox');
    expect(workflow['7']?.inputs.text).toBe('');
    expect(workflow['3']?.inputs).toMatchObject({
      steps: 12,
      seed: 42,
      cfg: 7,
      sampler_name: 'euler',
    });
    expect(workflow['5']?.inputs).toMatchObject({ width: 768, height: 512, batch_size: 1 });
    expect(workflow['4']?.class_type).toBe('CheckpointLoaderSimple');
    expect(Object.values(workflow).map((n) => n.class_type)).toEqual(
      expect.arrayContaining([
        'CLIPTextEncode',
        'EmptyLatentImage',
        'KSampler',
        'VAEDecode',
        'SaveImage',
      ]),
    );
    expect(uploadIds).toEqual([]);
  });

  it('renders img2img with the image as an upload reference and the denoise strength', () => {
    const { workflow, uploadIds } = catalog
      .get('img2img')
      .render({ prompt: 'oil painting', image: UPLOAD, denoise: 0.4 }, fixedRandom);
    expect(workflow['10']).toMatchObject({
      class_type: 'LoadImage',
      inputs: { image: `upload:${UPLOAD}` },
    });
    expect(workflow['11']?.class_type).toBe('VAEEncode');
    expect(workflow['3']?.inputs.denoise).toBe(0.4);
    expect(uploadIds).toEqual([UPLOAD]);
  });

  it('takes the image param as the upload:<uploadId> reference too (what the client upload() returns)', () => {
    const { workflow, uploadIds } = catalog
      .get('img2img')
      .render({ prompt: 'oil painting', image: `upload:${UPLOAD}` }, fixedRandom);
    expect(workflow['10']?.inputs.image).toBe(`upload:${UPLOAD}`);
    expect(uploadIds).toEqual([UPLOAD]);
    const err = paramsError(() =>
      catalog.get('img2img').render({ prompt: 'x', image: `upload:upload:${UPLOAD}` }),
    );
    expect(JSON.stringify(err.details)).toContain('image');
  });

  it('never changes the template between renders', () => {
    catalog.get('txt2img').render({ prompt: 'one' }, fixedRandom);
    const second = catalog.get('txt2img').render({ prompt: 'two' }, fixedRandom);
    expect(second.workflow['6']?.inputs.text).toBe('two');
    expect(catalog.get('txt2img').render({ prompt: 'x' }).workflow['6']?.inputs.text).toBe('x');
  });

  it.each([
    ['a missing prompt', {}, ['params', 'prompt']],
    ['steps above the bound', { prompt: 'x', steps: 151 }, ['params', 'steps']],
    ['a width that is not a multiple of 8', { prompt: 'x', width: 513 }, ['params', 'width']],
    ['an unknown sampler', { prompt: 'x', sampler: 'magic' }, ['params', 'sampler']],
    ['an unknown param', { prompt: 'x', colour: 'red' }, ['params']],
    ['a wrong type', { prompt: 'x', cfg: '7' }, ['params', 'cfg']],
    [
      'a checkpoint with a path',
      { prompt: 'x', checkpoint: '../secret' },
      ['params', 'checkpoint'],
    ],
  ])('rejects %s as INVALID_PARAMS with the path', (_name, params, path) => {
    const err = paramsError(() => catalog.get('txt2img').render(params));
    expect(err.code).toBe('INVALID_PARAMS');
    expect(err.details).toMatchObject({ issues: [{ path }] });
  });

  it('rejects an img2img image that is not an uploadId', () => {
    const err = paramsError(() => catalog.get('img2img').render({ prompt: 'x', image: 'cat.png' }));
    expect(err.details).toMatchObject({ issues: [{ path: ['params', 'image'] }] });
  });

  it('publishes each template with the JSON Schema of its params', () => {
    const txt = catalog.list().find((t) => t.name === 'txt2img');
    expect(txt?.params).toMatchObject({
      type: 'object',
      required: ['prompt'],
      additionalProperties: false,
      properties: { steps: { type: 'integer', minimum: 1, maximum: 150, default: 20 } },
    });
    expect(catalog.list().map((t) => t.name)).toEqual(['txt2img', 'img2img']);
  });

  it('answers TEMPLATE_NOT_FOUND for an unknown name', () => {
    expect(() => catalog.get('nope')).toThrowError(TemplateNotFoundError);
  });
});

describe('operator templates (TEMPLATES_DIR)', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'templates-'));

  it('adds a template from a JSON file, and may replace a built-in by name', () => {
    // Prepare
    const d = dir();
    const upscale = {
      name: 'upscale',
      description: 'Scale an image.',
      params: {
        image: { type: 'upload', required: true, targets: [{ node: '1', input: 'image' }] },
        factor: {
          type: 'number',
          default: 2,
          minimum: 1,
          maximum: 4,
          targets: [{ node: '2', input: 'scale_by' }],
        },
      },
      workflow: {
        '1': { class_type: 'LoadImage', inputs: { image: 'x.png' } },
        '2': {
          class_type: 'ImageScaleBy',
          inputs: { image: ['1', 0], upscale_method: 'lanczos', scale_by: 1 },
        },
        '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'up' } },
      },
    };
    writeFileSync(join(d, 'upscale.json'), JSON.stringify(upscale));
    writeFileSync(join(d, 'txt2img.json'), JSON.stringify({ ...txt2imgFile, description: 'ours' }));
    writeFileSync(join(d, 'notes.txt'), 'ignored');
    // Act
    const cat = loadTemplateCatalog(d);
    // Assess
    expect(
      cat
        .list()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['img2img', 'txt2img', 'upscale']);
    expect(cat.get('txt2img').summary.description).toBe('ours');
    const out = cat.get('upscale').render({ image: UPLOAD });
    expect(out.workflow['2']?.inputs.scale_by).toBe(2);
    expect(out.uploadIds).toEqual([UPLOAD]);
  });

  it.each([
    ['not JSON', '{', /not readable JSON/],
    ['without a workflow', JSON.stringify({ name: 'x', params: {} }), /workflow/],
    [
      'targeting an input the workflow lacks',
      JSON.stringify({
        name: 'x',
        params: { p: { type: 'string', targets: [{ node: '1', input: 'nope' }] } },
        workflow: { '1': { class_type: 'X', inputs: {} } },
      }),
      /targets 1\.inputs\.nope/,
    ],
    [
      'with a UI-format workflow',
      JSON.stringify({ name: 'x', params: {}, workflow: { nodes: [], links: [] } }),
      /UI workflow/,
    ],
  ])('fails loading a file %s, naming the file', (_name, content, message) => {
    const d = dir();
    writeFileSync(join(d, 'bad.json'), content);
    expect(() => readTemplateDir(d)).toThrowError(message);
    expect(() => readTemplateDir(d)).toThrowError(/bad\.json/);
  });
});
