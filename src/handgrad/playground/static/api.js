// Talking to the server: JSON requests, the upload, and the event stream.

export class ApiError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

async function reply(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = { error: `the server answered ${response.status} without a message` };
  }
  if (!response.ok) throw new ApiError(body.error || `error ${response.status}`, body.field);
  return body;
}

export async function getJSON(path) {
  return reply(await fetch(path, { cache: "no-store" }));
}

export async function postJSON(path, data) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
  return reply(response);
}

export async function postFile(path, file) {
  // The file's bytes as they are: the server decodes and checks them.
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "text/csv" },
    body: file,
  });
  return reply(response);
}

// Base64 to typed arrays (the server sends heat maps and points as raw little-endian bytes).
export function bytes(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
export const float32 = (text) => new Float32Array(bytes(text).buffer);
export const int8 = (text) => new Int8Array(bytes(text).buffer);

// The event stream: `setup` and `run` messages, delivered to handlers.
export function listen(session, handlers) {
  const source = new EventSource(`/api/events?session=${encodeURIComponent(session)}`);
  for (const [name, handler] of Object.entries(handlers)) {
    if (name === "error" || name === "open") continue;
    source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  }
  source.onerror = () => handlers.error && handlers.error(source);
  source.onopen = () => handlers.open && handlers.open(source);
  return source;
}
