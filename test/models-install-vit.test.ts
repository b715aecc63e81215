/**
 * `genmetrics models install clip-vit-l14 | dinov2-vit-l14` without Python, on small checkpoints in
 * the publishers' formats and key layouts (scripts/make_vit_checkpoint_fixtures.py: a TorchScript
 * archive of a traced openai/CLIP model with float16 weights, as ViT-L-14-336px.pt; a
 * facebookresearch/dinov2 state dict with a 37 x 37 position grid, as dinov2_vitl14_pretrain.pth).
 * The installed networks' features on the fixture images, through the extractors' whole path,
 * match the reference model code's on the same weights (vit_checkpoints_reference.json). Downloads
 * go to a loopback server: CLIP's is checked against the pinned SHA-256; DINOv2's, which has none,
 * only with option unpinned.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { readMetadataProps } from '../lib/models/onnx-proto';
import { readNpy } from '../lib/io/npy';
import { extractFeatureFiles } from '../lib/network/inception';
import { cli, cliAsync, FIXTURES, sharedFile, tmpDir } from './helpers';
import { writeTorchZip } from './torch-zip';

const DIR = path.join(FIXTURES, 'extractors');
const REF = JSON.parse(fs.readFileSync(path.join(DIR, 'vit_checkpoints_reference.json'), 'utf8'));
const CLIP_PT = path.join(DIR, REF.clip.file);
const DINO_PTH = path.join(DIR, REF.dinov2.file);
// test/extractors.test.ts's tolerance against PyTorch float32 on the same weights and input bits.
const FEATURE_ABS_TOL = 5e-6;

let dir: string;
let images: string;

beforeAll(() => {
  dir = tmpDir();
  images = path.join(dir, 'images');
  fs.mkdirSync(images);
  for (const f of REF.images as string[]) fs.copyFileSync(sharedFile('fixtures', 'images', f), path.join(images, f));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function features(extractor: 'clip-vit-l14' | 'dinov2-vit-l14', model: string): Promise<{ data: Float32Array; shape: number[] }> {
  const files = await extractFeatureFiles(images, { extractor, model, cache: false, threads: 1 });
  try {
    const f = readNpy(files.pool3);
    return { data: f.data as Float32Array, shape: f.shape };
  } finally {
    files.dispose();
  }
}

async function serve(file: string, fn: (mirror: string, requests: string[]) => Promise<void>): Promise<void> {
  const body = fs.readFileSync(file);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn(`http://127.0.0.1:${(server.address() as { port: number }).port}/w`, requests);
  } finally {
    server.close();
  }
}

test('the fixtures are the checkpoints the reference features were computed from, in the real key layouts', () => {
  const sha = (f: string) => require('crypto').createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  expect([sha(CLIP_PT), sha(DINO_PTH)]).toEqual([REF.clip.sha256, REF.dinov2.sha256]);
  // The TorchScript archive: module tree walked into state-dict names, float16 where OpenAI's are.
  const clip = JSON.parse(cli(['params', CLIP_PT, '--json', '--tensors']).stdout).tensors as { name: string; dtype: string; shape: number[] }[];
  const byName = new Map(clip.map((t) => [t.name, t]));
  expect(byName.get('visual.conv1.weight')).toMatchObject({ dtype: 'float16', shape: [64, 3, 14, 14] });
  expect(byName.get('visual.positional_embedding')).toMatchObject({ dtype: 'float32', shape: [577, 64] });
  expect(byName.get('visual.transformer.resblocks.1.attn.in_proj_weight')).toMatchObject({ dtype: 'float16', shape: [192, 64] });
  expect(byName.get('visual.proj')).toMatchObject({ dtype: 'float16', shape: [64, 32] });
  expect(byName.get('text_projection')).toMatchObject({ dtype: 'float16' });
  expect(byName.get('input_resolution')).toMatchObject({ dtype: 'int64', shape: [] });
  // The state dict: the hub's names, a 37 x 37 position grid (img_size 518) for a 16 x 16 input grid.
  const dino = JSON.parse(cli(['params', DINO_PTH, '--json', '--tensors']).stdout).tensors as { name: string; shape: number[] }[];
  expect(dino.find((t) => t.name === 'pos_embed')!.shape).toEqual([1, 37 * 37 + 1, 64]);
  expect(dino.map((t) => t.name)).toEqual(expect.arrayContaining(['cls_token', 'mask_token', 'patch_embed.proj.bias', 'blocks.1.ls2.gamma', 'blocks.0.attn.qkv.weight', 'norm.bias']));
});

test("models install clip-vit-l14 --from OpenAI's TorchScript archive: CMMD's embeddings match openai/CLIP's on the same weights", async () => {
  const models = path.join(dir, 'clip-models');
  const r = cli(['models', 'install', 'clip-vit-l14', '--from', CLIP_PT, '--dir', models, '--json']);
  expect(r.stderr).toMatch(/clip_twin\.pt: SHA-256 [0-9a-f]{64} is not the pinned 3035c92b\w+ of ViT-L-14-336px\.pt; installing it as given/);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out).toMatchObject({ name: 'clip-vit-l14-336', path: path.join(models, 'clip-vit-l14-336.onnx'), sources: [{ file: CLIP_PT, sha256: REF.clip.sha256, downloaded: false, pinned: true }] });
  expect(fs.readFileSync(`${out.path}.sha256`, 'utf8').split(/\s+/)[0]).toBe(out.sha256);
  const meta = readMetadataProps(fs.readFileSync(out.path));
  expect(meta.get('genmetrics.output')).toBe('image_embeds');
  expect(meta.get('genmetrics.size')).toBe('336');
  expect(meta.get('genmetrics.weights')).toBe(`clip_twin.pt sha256 ${REF.clip.sha256}`);
  // Resolved by its registry name (verified against the checksum beside it), as the extractor does.
  const list = JSON.parse(cli(['models', 'list', '--json'], { GENMETRICS_MODEL_DIR: models }).stdout);
  expect(list.models.find((m: { name: string }) => m.name === 'clip-vit-l14-336')).toMatchObject({ installed: true, sha256: out.sha256, verified: 'export' });
  const prev = process.env.GENMETRICS_MODEL_DIR;
  process.env.GENMETRICS_MODEL_DIR = models;
  try {
    const f = await features('clip-vit-l14', 'clip-vit-l14-336');
    expect(f.shape).toEqual([REF.images.length, REF.clip.arch.embed]);
    expect(maxAbs(f.data, REF.clip.embeds.flat())).toBeLessThan(FEATURE_ABS_TOL);
  } finally {
    if (prev === undefined) delete process.env.GENMETRICS_MODEL_DIR;
    else process.env.GENMETRICS_MODEL_DIR = prev;
  }
}, 120_000);

test("models install dinov2-vit-l14 --from the hub's state dict: the position grid interpolated to 224 as the model does, dgm-eval's features", async () => {
  const models = path.join(dir, 'dino-models');
  const r = cli(['models', 'install', 'dinov2-vit-l14', '--from', DINO_PTH, '--dir', models, '--json']);
  expect(r.code).toBe(0);
  // No SHA-256 to check it against: said, and the file's recorded.
  expect(r.stderr).toContain(`dinov2_twin.pth: SHA-256 ${REF.dinov2.sha256}, not checked (dinov2_vitl14_pretrain.pth has no published SHA-256)`);
  const out = JSON.parse(r.stdout);
  expect(out.sources).toEqual([{ file: DINO_PTH, sha256: REF.dinov2.sha256, downloaded: false, pinned: false }]);
  expect(readMetadataProps(fs.readFileSync(out.path)).get('genmetrics.weights')).toBe(`dinov2_twin.pth sha256 ${REF.dinov2.sha256}`);
  const f = await features('dinov2-vit-l14', out.path);
  expect(f.shape).toEqual([REF.images.length, REF.dinov2.arch.width]);
  expect(maxAbs(f.data, REF.dinov2.features.flat())).toBeLessThan(FEATURE_ABS_TOL);
}, 120_000);

test('dinov2-vit-l14 is downloaded only with option unpinned; then installed as from the same file', async () => {
  await serve(DINO_PTH, async (mirror, requests) => {
    const env = { GENMETRICS_WEIGHTS_MIRROR: mirror, GENMETRICS_CACHE_DIR: path.join(dir, 'dl-cache') };
    const models = path.join(dir, 'dl-models');
    const refused = await cliAsync(['models', 'install', 'dinov2-vit-l14', '--dir', models], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /dinov2_vitl14_pretrain\.pth has no published SHA-256 to check a download against \(https:\/\/dl\.fbaipublicfiles\.com\/dinov2\/dinov2_vitl14\/dinov2_vitl14_pretrain\.pth\); download it yourself and pass it with --from, or pass --unpinned/,
    );
    expect(requests).toEqual([]);
    expect(fs.existsSync(models)).toBe(false);
    const r = await cliAsync(['models', 'install', 'dinov2-vit-l14', '--unpinned', '--dir', models, '--json'], env);
    expect(r.code).toBe(0);
    expect(requests).toEqual(['/w/dinov2_vitl14_pretrain.pth']);
    const downloaded = path.join(dir, 'dl-cache', 'downloads', 'dinov2_vitl14_pretrain.pth');
    expect(r.stderr).toContain(`${downloaded}: SHA-256 ${REF.dinov2.sha256}, not checked`);
    const out = JSON.parse(r.stdout);
    expect(out.sources).toEqual([{ file: downloaded, sha256: REF.dinov2.sha256, downloaded: true, pinned: false }]);
    // The same network as installed from the file given under that name.
    const copy = path.join(dir, 'dinov2_vitl14_pretrain.pth');
    fs.copyFileSync(DINO_PTH, copy);
    const again = JSON.parse(cli(['models', 'install', 'dinov2-vit-l14', '--from', copy, '--dir', path.join(dir, 'dl-models-2'), '--json']).stdout);
    expect(again.sha256).toBe(out.sha256);
  });
}, 120_000);

test("clip-vit-l14-336's download is checked against OpenAI's SHA-256: another file is refused and nothing is installed", async () => {
  await serve(CLIP_PT, async (mirror) => {
    const env = { GENMETRICS_WEIGHTS_MIRROR: mirror, GENMETRICS_CACHE_DIR: path.join(dir, 'clip-cache') };
    const models = path.join(dir, 'clip-dl-models');
    const r = await cliAsync(['models', 'install', 'clip-vit-l14-336', '--dir', models], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/w\/ViT-L-14-336px\.pt: the download's SHA-256 is [0-9a-f]{64}, not the pinned 3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02 of ViT-L-14-336px\.pt; nothing was installed/);
    expect(fs.existsSync(models)).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'clip-cache', 'downloads'))).toEqual([]);
    // Option unpinned is for unpinned sources only.
    const u = await cliAsync(['models', 'install', 'clip-vit-l14-336', '--unpinned', '--dir', models], env);
    expect(u.stderr).toMatch(/--unpinned: clip-vit-l14-336's weights are pinned by SHA-256/);
  });
});

test('wrong or unsupported checkpoints are refused, naming the file, the tensor and what was expected', () => {
  const models = path.join(dir, 'bad-models');
  const install = (name: string, file: string) => cli(['models', 'install', name, '--from', file, '--dir', models]);
  expect(install('clip-vit-l14', DINO_PTH).stderr).toMatch(/dinov2_twin\.pth: not an OpenAI CLIP ViT checkpoint \(its \d+ tensors have no 'visual\.proj' and 'visual\.conv1\.weight'\); expected ViT-L-14-336px\.pt/);
  expect(install('dinov2-vit-l14', CLIP_PT).stderr).toMatch(/clip_twin\.pt: not a DINOv2 state dict \(its \d+ tensors have no 'patch_embed\.proj\.weight' and 'cls_token'\); expected dinov2_vitl14_pretrain\.pth/);
  const t = (name: string, shape: number[]) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  // ViT-L-14.pt (224 px, 257 tokens) is not the 336 px model the extractor takes.
  const clip224 = path.join(dir, 'ViT-L-14.pt');
  writeTorchZip(clip224, [t('visual.conv1.weight', [64, 3, 14, 14]), t('visual.positional_embedding', [257, 64]), t('visual.proj', [64, 32])]);
  expect(install('clip-vit-l14', clip224).stderr).toMatch(
    /ViT-L-14\.pt: 'visual\.positional_embedding' has 257 tokens, a 16 x 16 grid of 14-pixel patches \(224 px input\); the extractor takes 336 px/,
  );
  const reg = path.join(dir, 'dinov2_vitl14_reg4_pretrain.pth');
  writeTorchZip(reg, [t('cls_token', [1, 1, 64]), t('register_tokens', [1, 4, 64]), t('patch_embed.proj.weight', [64, 3, 14, 14])]);
  expect(install('dinov2-vit-l14', reg).stderr).toMatch(/reg4_pretrain\.pth: has 'register_tokens' \(a dinov2_\*_reg model\); only the register-free backbones are read/);
  const gap = path.join(dir, 'gap.pth');
  writeTorchZip(gap, [t('cls_token', [1, 1, 64]), t('pos_embed', [1, 257, 64]), t('patch_embed.proj.weight', [64, 3, 14, 14]), t('blocks.1.attn.qkv.weight', [192, 64])]);
  expect(install('dinov2-vit-l14', gap).stderr).toMatch(/gap\.pth: no tensor 'blocks\.0\.attn\.qkv\.weight' \(blocks 1 present\)/);
  const narrow = path.join(dir, 'narrow.pth');
  writeTorchZip(narrow, [t('cls_token', [1, 1, 32]), t('pos_embed', [1, 257, 32]), t('patch_embed.proj.weight', [32, 3, 14, 14]), t('blocks.0.attn.qkv.weight', [96, 32]), t('blocks.0.mlp.fc1.weight', [128, 32])]);
  expect(install('dinov2-vit-l14', narrow).stderr).toMatch(/narrow\.pth: 'patch_embed\.proj\.weight' gives width 32, not a multiple of 64/);
  expect(fs.existsSync(models)).toBe(false);
});
