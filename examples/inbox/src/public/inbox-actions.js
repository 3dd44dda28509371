// What the operator does with the open chat: open it, reply, hand it to a colleague or another branch.
import { renderList } from './inbox-list.js';
import { $, api, branchName, iSee, state } from './inbox-state.js';
import { renderThread } from './inbox-thread.js';

/** The open chat went to a branch this operator does not see: it leaves the list and the thread. */
export function dropConversation(id, toBranch) {
  state.conversations.delete(id);
  if (state.selectedId === id) {
    state.selectedId = undefined;
    state.thread = undefined;
    state.notice = toBranch ? `The chat was handed off to ${branchName(toBranch)}.` : 'The chat is no longer in your branch.';
    renderThread();
  }
  renderList();
}

export async function loadThread(id) {
  const thread = await api(`/api/conversations/${encodeURIComponent(id)}`).catch((error) => {
    if (error.body?.error?.code === 'not_found') return undefined; // handed off to another branch meanwhile
    throw error;
  });
  if (state.selectedId !== id) return;
  if (!thread) return dropConversation(id, undefined);
  state.thread = thread;
  state.conversations.set(id, thread.conversation);
  renderThread();
  renderList();
}

export async function openThread(id) {
  if (state.selectedId !== id) state.thread = undefined;
  state.selectedId = id;
  state.notice = undefined;
  renderList();
  await loadThread(id);
  if ((state.conversations.get(id)?.unreadCount ?? 0) > 0) {
    const updated = await api(`/api/conversations/${encodeURIComponent(id)}/read`, { method: 'POST' });
    state.conversations.set(id, updated);
    renderList();
  }
}

export async function send(body) {
  const id = state.selectedId;
  if (!id) return;
  if (body.text !== undefined && body.text.trim() === '') return;
  $('#composer-error').textContent = '';
  try {
    await api(`/api/conversations/${encodeURIComponent(id)}/messages`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    if ($('#reply')) $('#reply').value = '';
    await loadThread(id);
  } catch (error) {
    $('#composer-error').textContent = error.message;
    await loadThread(id);
  }
}

export async function handOff() {
  const id = state.selectedId;
  const [kind, target] = $('#handoff-target').value.split(':');
  const body = kind === 'operator' ? { assignee: target } : { department: target };
  const updated = await api(`/api/conversations/${encodeURIComponent(id)}/assign`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  state.conversations.set(id, updated);
  await loadThread(id);
}

export async function transfer() {
  const id = state.selectedId;
  const branchId = $('#transfer-branch').value;
  const operatorId = $('#transfer-operator').value;
  const note = $('#transfer-note').value.trim();
  $('#composer-error').textContent = '';
  try {
    const updated = await api(`/api/conversations/${encodeURIComponent(id)}/handoff`, {
      method: 'POST',
      body: JSON.stringify({ branchId, ...(operatorId ? { operatorId } : {}), ...(note ? { note } : {}) }),
    });
    if (iSee(updated.branchId)) {
      state.conversations.set(id, updated);
      await loadThread(id);
    } else dropConversation(id, updated.branchId);
  } catch (error) {
    $('#composer-error').textContent = error.message;
  }
}
