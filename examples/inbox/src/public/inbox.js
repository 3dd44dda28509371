// The inbox page: vanilla JS, no framework, no build. Data comes from the JSON API; live changes from SSE.
// Every request names the operator (`x-operator`): the server shows them only their branch's chats.

import { dropConversation, loadThread } from './inbox-actions.js';
import { renderList } from './inbox-list.js';
import { $, api, branchName, el, formatWait, iSee, isSupervisor, state } from './inbox-state.js';

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
