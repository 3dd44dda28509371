/** Shared test fixtures: real Cloud API payloads and helpers that wrap and sign them like Meta does. */
import type { WebhookRequest } from '@omnidealer/core/provider-utils';
import { signWhatsAppWebhook } from '../whatsapp-webhook-signature.js';
import graphErrors from './graph-errors.json';
import inboundMessages from './inbound-messages.json';

export const phoneNumberId = '106540352242922';
export const wabaId = '102290129340398';
export const apiVersion = 'v23.0';
export const accessToken = 'EAAJB0test0token0ZAZD';
export const appSecret = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
export const verifyToken = 'dealer-hook-verify';
export const messagesUrl = `https://graph.facebook.com/${apiVersion}/${phoneNumberId}/messages`;
export const messagesRoute = `POST ${messagesUrl}`;
export const webhookUrl = 'https://crm.example.ru/hooks/whatsapp';

export { graphErrors, inboundMessages };

/** Wraps inbound message objects in the `messages` webhook envelope Meta sends. */
export function inboundEnvelope(messages: unknown[], name = 'Иван Петров', waId = '79161234567'): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '74951234567', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name }, wa_id: waId }],
              messages,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/** Wraps status objects in the `messages` webhook envelope. */
export function statusEnvelope(statuses: unknown[]): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '74951234567', phone_number_id: phoneNumberId },
              statuses,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/** A web-standard POST as Meta delivers it: raw body and `X-Hub-Signature-256`. */
export async function signedRequest(payload: unknown, secret = appSecret): Promise<Request> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return new Request(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': await signWhatsAppWebhook(body, secret) },
    body,
  });
}

/** The same delivery as a {@link WebhookRequest} for calling `parseWebhook` directly. */
export async function signedWebhook(payload: unknown, secret = appSecret): Promise<WebhookRequest> {
  return toWebhookRequest(await signedRequest(payload, secret));
}

export async function toWebhookRequest(request: Request): Promise<WebhookRequest> {
  return {
    method: request.method,
    url: new URL(request.url),
    headers: request.headers,
    body: new Uint8Array(await request.arrayBuffer()),
  };
}
