import type { IncomingMessage } from 'node:http';
import { type Operator, operators } from './inbox-config.js';

/**
 * Who is asking, and which branches' chats they may see. The example takes the operator from the `x-operator` header
 * (the SSE stream, which cannot send headers, from `?operator=`); a real CRM takes it from its login session.
 */
export interface Viewer {
  operator: Operator;
  /** True for a group supervisor: every branch, and the chats of channels bound to no branch. */
  supervisor: boolean;
  /** Whether a chat of this branch (undefined: a chat of the whole group) is visible to the viewer. */
  sees(branchId: string | undefined): boolean;
}

/** The viewer of an operator id, or undefined for an unknown one. */
export function viewerFor(operatorId: string | null | undefined): Viewer | undefined {
  const operator = operators.find((candidate) => candidate.id === operatorId);
  if (!operator) return undefined;
  const own = operator.branchId;
  return {
    operator,
    supervisor: own === undefined,
    sees: (branchId) => own === undefined || branchId === own,
  };
}

/** Reads the viewer of an API request: the `x-operator` header, else `?operator=`. */
export function viewerOf(request: IncomingMessage, url: URL): Viewer | undefined {
  const header = request.headers['x-operator'];
  return viewerFor(typeof header === 'string' ? header : url.searchParams.get('operator'));
}
