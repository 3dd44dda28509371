// The inbox page: vanilla JS, no framework, no build. Data comes from the JSON API; live changes from SSE.
// Every request names the operator (`x-operator`): the server shows them only their branch's chats.

const state = {
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

const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element; text goes through textContent, never innerHTML. */
function el(tag, attributes = {}, ...children) {
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

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { 'content-type': 'application/json', 'x-operator': state.me ?? '', ...(options.headers ?? {}) },
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error?.message ?? response.statusText), { body });
  return body;
}

const formatWait = (ms) => {
  const seconds = Math.floor(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}:${rest}`;
};
const formatTime = (at) => new Date(at).toISOString().slice(5, 16).replace('T', ' ');
const channelLabel = (channel) => ({ whatsapp: 'WhatsApp', avito: 'Avito' })[channel] ?? channel;
const operatorName = (id) => state.operators.find((operator) => operator.id === id)?.name ?? id;
const departmentName = (id) => state.departments.find((department) => department.id === id)?.name ?? id;
const branchName = (id) => state.branches.find((branch) => branch.id === id)?.name ?? id ?? 'group';
const myOperator = () => state.operators.find((operator) => operator.id === state.me);
/** A group supervisor has no branch and sees every branch. */
const isSupervisor = () => myOperator()?.branchId === undefined;
const iSee = (branchId) => isSupervisor() || branchId === myOperator()?.branchId;

function ownerLabel(conversation) {
  if (conversation.assignee) return operatorName(conversation.assignee);
  if (conversation.handler === 'operator')
    return `queue${conversation.department ? `: ${departmentName(conversation.department)}` : ''}`;
  return 'bot';
}

function inBranchFilter(conversation) {
  return state.branch === '' || conversation.branchId === state.branch;
}

function inQueue(conversation) {
  if (state.queue === 'operators') return conversation.handler === 'operator';
  if (state.queue === 'bot') return conversation.handler === 'bot';
  return true;
}

function renderList() {
  const list = $('#conversations');
  const rows = [...state.conversations.values()]
    .filter((conversation) => conversation.status === 'open' && inQueue(conversation) && inBranchFilter(conversation))
    .sort((a, b) => b.lastActivityAt - a.lastActivityAt);
  list.replaceChildren(
    ...rows.map((conversation) =>
      el(
        'li',
        {
          className: `conversation${conversation.id === state.selectedId ? ' selected' : ''}`,
          'data-id': conversation.id,
          'data-channel': conversation.channel,
          'data-kind': conversation.channelKind,
          'data-branch': conversation.branchId,
          'data-handler': conversation.handler,
          onclick: () => openThread(conversation.id),
        },
        el('span', { className: `channel ${conversation.channelKind}` }, channelLabel(conversation.channelKind)),
        el(
          'span',
          { className: 'name' },
          conversation.contact.name ?? conversation.contact.phone ?? 'Unknown',
          isSupervisor() ? el('span', { className: 'branch' }, branchName(conversation.branchId)) : undefined,
        ),
        el(
          'span',
          { className: 'meta' },
          conversation.unreadCount > 0 ? el('span', { className: 'unread' }, conversation.unreadCount) : undefined,
          conversation.timer
            ? el(
                'span',
                {
                  className: `timer${conversation.timer.overTarget ? ' late' : ''}`,
                  title: conversation.timer.overTarget ? 'Waiting longer than the target' : 'Waiting for a reply',
                },
                formatWait(conversation.timer.waitingMs),
              )
            : undefined,
          el('span', { className: 'owner' }, ownerLabel(conversation)),
        ),
        el(
          'span',
          { className: 'preview' },
          conversation.listing?.title ? `${conversation.listing.title} · ` : '',
          conversation.lastMessage?.text ?? '',
        ),
      ),
    ),
  );
  $('#empty').hidden = rows.length > 0;
}

/** The "hand off to another branch" row: branch, optionally one of its operators, a note. */
function transferRow(conversation, picked) {
  const otherBranches = state.branches.filter((branch) => branch.id !== conversation.branchId);
  if (otherBranches.length === 0) return undefined;
  const branchId = otherBranches.some((branch) => branch.id === picked.branch) ? picked.branch : otherBranches[0].id;
  const branchSelect = el(
    'select',
    { id: 'transfer-branch', onchange: () => renderThread() },
    otherBranches.map((branch) => el('option', { value: branch.id }, branch.name)),
  );
  branchSelect.value = branchId;
  const operatorSelect = el(
    'select',
    { id: 'transfer-operator' },
    el('option', { value: '' }, "branch's queue"),
    state.operators
      .filter((operator) => operator.branchId === branchId)
      .map((operator) => el('option', { value: operator.id }, operator.name)),
  );
  if ([...operatorSelect.options].some((option) => option.value === picked.operator)) operatorSelect.value = picked.operator;
  const note = el('input', { id: 'transfer-note', placeholder: 'Note for the branch (optional)' });
  note.value = picked.note;
  return el(
    'div',
    { className: 'transfer' },
    'Hand off to branch ',
    branchSelect,
    operatorSelect,
    note,
    el('button', { type: 'button', id: 'transfer', onclick: transfer }, 'Send to branch'),
  );
}

function renderThread() {
  const root = $('#thread');
  const thread = state.thread;
  if (!thread) {
    root.replaceChildren(el('p', { className: 'placeholder', id: 'placeholder' }, state.notice ?? 'Pick a chat on the left.'));
    return;
  }
  // Live updates re-render the thread: what the operator typed or picked survives them.
  const draft = $('#reply')?.value ?? '';
  const pickedTarget = $('#handoff-target')?.value;
  const pickedTransfer = {
    branch: $('#transfer-branch')?.value,
    operator: $('#transfer-operator')?.value,
    note: $('#transfer-note')?.value ?? '',
  };
  const conversation = state.conversations.get(thread.conversation.id) ?? thread.conversation;
  const listing = conversation.listing;
  // Within the branch: its operators and the departments; another branch is a hand-off (the row below).
  const handoffTargets = [
    ...state.operators
      .filter((operator) => operator.branchId === conversation.branchId && operator.id !== conversation.assignee)
      .map((operator) => el('option', { value: `operator:${operator.id}` }, `→ ${operator.name}`)),
    ...state.departments.map((department) => el('option', { value: `department:${department.id}` }, `→ ${department.name}`)),
  ];
  const blocked = thread.replyBlocked;
  const parts = [
    el(
      'div',
      { className: 'thread-head' },
      el('h2', {}, conversation.contact.name ?? conversation.contact.phone ?? 'Unknown'),
      el('span', { className: `channel ${conversation.channelKind}` }, channelLabel(conversation.channelKind)),
      el('span', { className: 'branch', id: 'thread-branch' }, branchName(conversation.branchId)),
      conversation.contact.phone ? el('span', {}, conversation.contact.phone) : undefined,
      el('span', { className: 'owner', id: 'thread-owner' }, ownerLabel(conversation)),
      el(
        'span',
        { className: 'handoff' },
        el('select', { id: 'handoff-target' }, handoffTargets),
        el(
          'button',
          { type: 'button', id: 'handoff', onclick: handOff },
          conversation.handler === 'operator' ? 'Hand off' : 'Assign',
        ),
      ),
    ),
    transferRow(conversation, pickedTransfer),
    listing
      ? el(
          'div',
          { className: 'listing', id: 'listing' },
          'Listing: ',
          listing.url
            ? el('a', { href: listing.url, target: '_blank', rel: 'noreferrer', className: 'title' }, listing.title ?? '')
            : el('span', { className: 'title' }, listing.title ?? ''),
          el('span', { className: 'price' }, listing.price ?? ''),
        )
      : undefined,
    conversation.assignments.length > 0
      ? el(
          'ol',
          { className: 'history', id: 'history' },
          conversation.assignments.map((entry) =>
            el(
              'li',
              {},
              `${formatTime(entry.at)} · ${entry.by ? operatorName(entry.by) : 'system'} → `,
              entry.assignee ? operatorName(entry.assignee) : entry.handler === 'operator' ? "operators' queue" : 'bot',
              entry.department ? ` (${departmentName(entry.department)})` : '',
              entry.note ? ` — ${entry.note}` : '',
            ),
          ),
        )
      : undefined,
    conversation.handOffs.length > 0
      ? el(
          'ol',
          { className: 'history', id: 'handoffs' },
          conversation.handOffs.map((move) =>
            el(
              'li',
              {},
              `${formatTime(move.at)} · ${move.by ? operatorName(move.by) : 'system'}: ${branchName(move.from)} → ${branchName(move.to)}`,
              move.operatorId ? ` (${operatorName(move.operatorId)})` : '',
              move.note ? ` — ${move.note}` : '',
            ),
          ),
        )
      : undefined,
    el(
      'ul',
      { className: 'messages', id: 'messages' },
      thread.messages.map((message) =>
        el(
          'li',
          { className: `message ${message.direction} ${message.status}`, 'data-kind': message.kind },
          el('div', { className: 'text' }, message.text),
          el(
            'div',
            { className: 'info' },
            formatTime(message.at),
            message.direction === 'outbound' ? ` · ${message.status}` : '',
            message.sentBy ? ` · ${operatorName(message.sentBy)}` : '',
            message.error ? ` · ${message.error}` : '',
          ),
        ),
      ),
    ),
    el(
      'div',
      { className: 'composer' },
      blocked
        ? [
            el(
              'div',
              { className: 'window-closed', id: 'window-closed', 'data-reason': blocked.reason },
              el('strong', {}, 'A free-form reply cannot be sent: '),
              blocked.detail,
            ),
            thread.templates.length > 0
              ? el(
                  'div',
                  { className: 'templates', id: 'templates' },
                  thread.templates.map((template) =>
                    el(
                      'button',
                      { type: 'button', 'data-name': template.name, onclick: () => send({ template: template.name }) },
                      el('strong', {}, template.name),
                      ': ',
                      template.preview,
                    ),
                  ),
                )
              : undefined,
          ]
        : [
            el(
              'div',
              { className: 'canned', id: 'canned' },
              thread.cannedReplies.map((reply) =>
                el(
                  'button',
                  {
                    type: 'button',
                    'data-id': reply.id,
                    disabled: reply.missing.length > 0,
                    title: reply.missing.length > 0 ? `Needs ${reply.missing.map((name) => `{${name}}`).join(', ')}` : reply.text,
                    onclick: () => {
                      $('#reply').value = reply.text;
                      $('#reply').focus();
                    },
                  },
                  reply.title,
                ),
              ),
            ),
            el(
              'div',
              { className: 'reply-row' },
              el('textarea', { id: 'reply', placeholder: 'Reply…' }),
              el(
                'button',
                { type: 'button', className: 'primary', id: 'send', onclick: () => send({ text: $('#reply').value }) },
                'Send',
              ),
            ),
          ],
      el('div', { className: 'error', id: 'composer-error' }),
    ),
  ];
  root.replaceChildren(...parts.filter(Boolean));
  const reply = $('#reply');
  if (reply) reply.value = draft;
  const target = $('#handoff-target');
  if (pickedTarget && [...target.options].some((option) => option.value === pickedTarget)) target.value = pickedTarget;
  const messages = $('#messages');
  messages.scrollTop = messages.scrollHeight;
}

/** The open chat went to a branch this operator does not see: it leaves the list and the thread. */
function dropConversation(id, toBranch) {
  state.conversations.delete(id);
  if (state.selectedId === id) {
    state.selectedId = undefined;
    state.thread = undefined;
    state.notice = toBranch ? `The chat was handed off to ${branchName(toBranch)}.` : 'The chat is no longer in your branch.';
    renderThread();
  }
  renderList();
}

async function loadThread(id) {
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

async function openThread(id) {
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

async function send(body) {
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

async function handOff() {
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

async function transfer() {
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

function renderSla(sla) {
  const figures = (row) =>
    `answered ${row.answered} · median first reply ${row.medianFirstResponseMs === undefined || row.medianFirstResponseMs === null ? '—' : formatWait(row.medianFirstResponseMs)} · missed ${row.missed}`;
  const rows = Object.entries(sla.byBranch ?? {});
  $('#sla').replaceChildren(
    ...(isSupervisor() ? [el('span', { 'data-branch': '' }, `Group: ${figures(sla.overall)}`)] : []),
    ...rows.map(([branchId, row]) => el('span', { 'data-branch': branchId }, `${branchName(branchId)}: ${figures(row)}`)),
  );
}

function connect() {
  const events = new EventSource(`/api/events?operator=${encodeURIComponent(state.me ?? '')}`);
  const live = $('#live');
  events.onopen = () => {
    live.dataset.state = 'open';
    live.textContent = 'live';
  };
  events.onerror = () => {
    live.dataset.state = 'closed';
    live.textContent = 'reconnecting…';
  };
  events.addEventListener('conversation', (event) => {
    const conversation = JSON.parse(event.data);
    state.conversations.set(conversation.id, conversation);
    renderList();
    if (conversation.id === state.selectedId) void loadThread(conversation.id);
  });
  events.addEventListener('handoff', (event) => {
    const { conversationId, to } = JSON.parse(event.data);
    // Leaving for a branch this operator does not see; joining one they see brings a `conversation` event.
    if (!iSee(to)) dropConversation(conversationId, to);
  });
  events.addEventListener('message', (event) => {
    const { conversationId } = JSON.parse(event.data);
    if (conversationId === state.selectedId) void loadThread(conversationId);
  });
  events.addEventListener('tick', (event) => {
    const tick = JSON.parse(event.data);
    state.now = tick.now;
    let threadStale = false;
    for (const [id, live] of Object.entries(tick.conversations)) {
      const conversation = state.conversations.get(id);
      if (!conversation) continue;
      conversation.timer = live.timer ?? undefined;
      if (
        id === state.selectedId &&
        JSON.stringify(state.thread?.replyBlocked ?? null) !== JSON.stringify(live.replyBlocked ?? null)
      )
        threadStale = true;
    }
    renderList();
    if (threadStale) void loadThread(state.selectedId);
    renderSla(tick.sla);
  });
}

function setUpSimulator(customers) {
  const form = $('#simulator');
  if (!customers.length) return;
  form.hidden = false;
  const select = $('#sim-customer');
  select.replaceChildren(
    ...customers.map((customer) => el('option', { value: customer.id, 'data-channel': customer.channel }, customer.label)),
  );
  const syncCall = () => {
    $('#sim-call').disabled = select.selectedOptions[0]?.dataset.channel !== 'whatsapp';
  };
  select.addEventListener('change', syncCall);
  syncCall();
  const simulate = (body) => api('/api/simulate', { method: 'POST', body: JSON.stringify({ customer: select.value, ...body }) });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('#sim-text').value.trim();
    if (text) void simulate({ text });
  });
  $('#sim-call').addEventListener('click', () => void simulate({ callOperator: true }));
}

async function start() {
  const init = await api('/api/state');
  state.branches = init.branches;
  state.operators = init.operators;
  state.departments = init.departments;
  state.me = state.operators.some((operator) => operator.id === state.me) ? state.me : state.operators[0]?.id;
  const me = $('#me');
  me.replaceChildren(
    ...state.operators.map((operator) =>
      el(
        'option',
        { value: operator.id },
        `${operator.name} · ${operator.branchId ? branchName(operator.branchId) : 'all branches'}`,
      ),
    ),
  );
  me.value = state.me;
  // Another operator sees other chats: the page starts again as them.
  me.addEventListener('change', () => {
    localStorage.setItem('inbox.me', me.value);
    location.assign(`/?operator=${encodeURIComponent(me.value)}`);
  });
  const filter = $('#branch-filter');
  filter.hidden = !isSupervisor();
  filter.replaceChildren(
    el('option', { value: '' }, 'All branches'),
    ...state.branches.map((branch) => el('option', { value: branch.id }, branch.name)),
  );
  filter.addEventListener('change', () => {
    state.branch = filter.value;
    renderList();
  });
  for (const button of document.querySelectorAll('#queues button')) {
    button.addEventListener('click', () => {
      state.queue = button.dataset.queue;
      for (const other of document.querySelectorAll('#queues button')) other.classList.toggle('active', other === button);
      renderList();
    });
  }
  setUpSimulator(init.simulator);
  connect();
  const { conversations } = await api('/api/conversations');
  for (const conversation of conversations) state.conversations.set(conversation.id, conversation);
  renderList();
}

void start();
