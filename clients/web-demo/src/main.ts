/**
 * The web demo: connect with a key (or JWT), pick a template, fill its generated form, optionally
 * drop an image (uploaded from the browser straight to S3 through the presigned URL), watch the task
 * and see the result; cancel while it runs. Everything goes through @comfy-serverless/client.
 */
import {
  ComfyServerlessClient,
  ComfyServerlessError,
  type TaskView,
  type Template,
} from '../../typescript/src/index.js';
import { type ParamsForm, type ParamsSchema, renderParamsForm } from './schema-form.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const apiUrl = $<HTMLInputElement>('api-url');
const apiKey = $<HTMLInputElement>('api-key');
const templateSelect = $<HTMLSelectElement>('template');
const submitButton = $<HTMLButtonElement>('submit');
const cancelButton = $<HTMLButtonElement>('cancel');
const errorBox = $<HTMLDivElement>('error');
const statusText = $<HTMLElement>('status');
const progress = $<HTMLProgressElement>('progress');
const result = $<HTMLDivElement>('result');

let client: ComfyServerlessClient | undefined;
let templates: Template[] = [];
let form: ParamsForm | undefined;
let current: { taskId: string; abort: AbortController } | undefined;

apiUrl.value = new URLSearchParams(location.search).get('api') ?? location.origin;
apiKey.value = sessionStorage.getItem('comfy-serverless-demo-key') ?? '';

function showError(err: unknown) {
  let text: string;
  if (err instanceof ComfyServerlessError) {
    text = `${err.code}${err.status ? ` (HTTP ${err.status})` : ''}: ${err.message}`;
    const issues = (err.details as { issues?: { path: string; message: string }[] } | undefined)
      ?.issues;
    if (issues?.length) text += `\n${issues.map((i) => `• ${i.path}: ${i.message}`).join('\n')}`;
  } else {
    text = err instanceof Error ? err.message : String(err);
  }
  errorBox.textContent = text;
  errorBox.hidden = false;
}

const clearError = () => {
  errorBox.hidden = true;
  errorBox.textContent = '';
};

function makeClient(): ComfyServerlessClient {
  const credential = apiKey.value.trim();
  const baseUrl = apiUrl.value.trim();
  return credential.startsWith('eyJ')
    ? new ComfyServerlessClient({ baseUrl, token: credential })
    : new ComfyServerlessClient({ baseUrl, apiKey: credential });
}

function selectTemplate(name: string) {
  const template = templates.find((t) => t.name === name);
  if (!template) return;
  $('template-description').textContent = template.description;
  form = renderParamsForm($<HTMLFormElement>('params-form'), template.params as ParamsSchema);
}

$('connection').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearError();
  $('task-form').hidden = true;
  try {
    client = makeClient();
    templates = await client.templates();
    sessionStorage.setItem('comfy-serverless-demo-key', apiKey.value.trim());
    templateSelect.replaceChildren(
      ...templates.map((t) => {
        const option = document.createElement('option');
        option.value = t.name;
        option.textContent = t.name;
        return option;
      }),
    );
    selectTemplate(templates[0]?.name ?? '');
    $('task-form').hidden = false;
  } catch (err) {
    client = undefined;
    showError(err);
  }
});

templateSelect.addEventListener('change', () => selectTemplate(templateSelect.value));

const STAGE: Record<TaskView['status'], number> = {
  queued: 0.05,
  dispatched: 0.15,
  running: 0.3,
  succeeded: 1,
  failed: 1,
  cancelled: 1,
};

function showTask(task: TaskView) {
  const fraction = task.progress?.fraction;
  let text: string = task.status;
  if (task.status === 'dispatched' && task.queuePosition !== undefined) {
    text += ` (${task.queuePosition} ahead in ComfyUI's queue)`;
  }
  if (task.status === 'running' && fraction !== undefined) {
    text += ` ${Math.round(fraction * 100)}%`;
  }
  if (task.cancelRequested && !['cancelled', 'succeeded', 'failed'].includes(task.status)) {
    text += ' (cancelling)';
  }
  statusText.textContent = text;
  statusText.dataset.status = task.status;
  const value =
    task.status === 'running' && fraction !== undefined ? 0.3 + 0.7 * fraction : STAGE[task.status];
  progress.value = Math.max(progress.value, value);
}

function showResult(task: TaskView) {
  result.replaceChildren();
  if (task.status === 'failed' && task.error) {
    showError(`Task failed: ${task.error.code}: ${task.error.message}`);
  }
  for (const output of task.outputs) {
    if (output.contentType.startsWith('image/')) {
      const img = document.createElement('img');
      img.className = 'result-image';
      img.alt = output.filename;
      img.src = output.url;
      result.append(img);
    }
    const link = document.createElement('a');
    link.href = output.url;
    const kib = (n: number) => (n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(1)} KiB`);
    link.textContent = `${output.filename} (${kib(output.size)}${
      output.originalSize !== undefined
        ? `, converted from ${kib(output.originalSize)} ${output.originalContentType ?? ''}`
        : ''
    })`;
    link.download = output.filename;
    result.append(document.createElement('br'), link);
  }
}

submitButton.addEventListener('click', async () => {
  if (!client || !form) return;
  clearError();
  submitButton.disabled = true;
  result.replaceChildren();
  progress.value = 0;
  $('task').hidden = false;
  $('task-id').textContent = '';
  const abort = new AbortController();
  try {
    const { params, files } = form.read();
    for (const [name, file] of Object.entries(files)) {
      statusText.textContent = `uploading ${file.name}…`;
      params[name] = await client.upload(file, {
        contentType: file.type as 'image/png',
        filename: file.name,
        signal: abort.signal,
      });
    }
    const format = $<HTMLSelectElement>('output-format').value as '' | 'webp' | 'jpeg' | 'png';
    const { taskId } = await client.submit({
      template: templateSelect.value,
      params,
      ...(format ? { output: { format } } : {}),
    });
    current = { taskId, abort };
    $('task-id').textContent = taskId;
    cancelButton.disabled = false;
    const task = await client.wait(taskId, { signal: abort.signal, onProgress: showTask });
    showTask(task);
    showResult(task);
  } catch (err) {
    statusText.textContent = 'error';
    showError(err);
  } finally {
    current = undefined;
    submitButton.disabled = false;
    cancelButton.disabled = true;
  }
});

cancelButton.addEventListener('click', async () => {
  if (!client || !current) return;
  cancelButton.disabled = true;
  try {
    showTask(await client.cancel(current.taskId));
  } catch (err) {
    showError(err);
  }
});
