// The chat list on the left: the open chats of the picked queue and branch, newest activity first.
import { openThread } from './inbox-actions.js';
import { $, branchName, channelLabel, el, formatWait, isSupervisor, ownerLabel, state } from './inbox-state.js';

function inBranchFilter(conversation) {
  return state.branch === '' || conversation.branchId === state.branch;
}

function inQueue(conversation) {
  if (state.queue === 'operators') return conversation.handler === 'operator';
  if (state.queue === 'bot') return conversation.handler === 'bot';
  return true;
}

export function renderList() {
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
