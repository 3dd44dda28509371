// The inbox page's state, its DOM helper and API call, and the labels every part of the page shows.

export const state = {
  branches: [],
  operators: [],
  departments: [],
  /** The supervisor's branch filter ('' = every branch). */
  branch: '',
  /** @type {Map<string, any>} */
  conversations: new Map(),
  queue: 'all',
  selectedId: undefined,
  thread: undefined,
  /** What the thread pane says when no chat is open (e.g. the open one was handed off). */
  notice: undefined,
  now: Date.now(),
  // `?operator=anna` opens the page as that operator (two windows, two operators); else the last one picked here.
  me: new URLSearchParams(location.search).get('operator') ?? localStorage.getItem('inbox.me') ?? undefined,
};

export const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element; text goes through textContent, never innerHTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === 'className') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { 'content-type': 'application/json', 'x-operator': state.me ?? '', ...(options.headers ?? {}) },
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error?.message ?? response.statusText), { body });
  return body;
}

export const formatWait = (ms) => {
  const seconds = Math.floor(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}:${rest}`;
};
export const formatTime = (at) => new Date(at).toISOString().slice(5, 16).replace('T', ' ');
export const channelLabel = (channel) => ({ whatsapp: 'WhatsApp', avito: 'Avito' })[channel] ?? channel;
export const operatorName = (id) => state.operators.find((operator) => operator.id === id)?.name ?? id;
export const departmentName = (id) => state.departments.find((department) => department.id === id)?.name ?? id;
export const branchName = (id) => state.branches.find((branch) => branch.id === id)?.name ?? id ?? 'group';
export const myOperator = () => state.operators.find((operator) => operator.id === state.me);
/** A group supervisor has no branch and sees every branch. */
export const isSupervisor = () => myOperator()?.branchId === undefined;
export const iSee = (branchId) => isSupervisor() || branchId === myOperator()?.branchId;

export function ownerLabel(conversation) {
  if (conversation.assignee) return operatorName(conversation.assignee);
  if (conversation.handler === 'operator')
    return `queue${conversation.department ? `: ${departmentName(conversation.department)}` : ''}`;
  return 'bot';
}
