// The open chat on the right: its head (owner, hand-off within the branch and to another branch), the listing, the
// assignment and hand-off history, the messages and the composer (canned replies, or templates when the window is closed).
import { handOff, send, transfer } from './inbox-actions.js';
import { $, branchName, channelLabel, departmentName, el, formatTime, operatorName, ownerLabel, state } from './inbox-state.js';

/**
 * A history as an ordered list (assignments, branch hand-offs): each line is its time, who did it ("system" when
 * nobody), what `describe` says, then its note. Nothing when the history is empty.
 */
function historyList(id, entries, describe) {
  if (entries.length === 0) return undefined;
  return el(
    'ol',
    { className: 'history', id },
    entries.map((entry) =>
      el(
        'li',
        {},
        `${formatTime(entry.at)} · ${entry.by ? operatorName(entry.by) : 'system'}`,
        ...describe(entry),
        entry.note ? ` — ${entry.note}` : '',
      ),
    ),
  );
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

export function renderThread() {
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
    historyList('history', conversation.assignments, (entry) => [
      ' → ',
      entry.assignee ? operatorName(entry.assignee) : entry.handler === 'operator' ? "operators' queue" : 'bot',
      entry.department ? ` (${departmentName(entry.department)})` : '',
    ]),
    historyList('handoffs', conversation.handOffs, (move) => [
      `: ${branchName(move.from)} → ${branchName(move.to)}`,
      move.operatorId ? ` (${operatorName(move.operatorId)})` : '',
    ]),
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
