import { AuthError, ChannelApiError, createManualClock } from '@omnidealer/core';
import { createSecretRegistry } from '@omnidealer/core/provider-utils';
import { createTestServer } from '@omnidealer/core/test';
import { describe, expect, it } from 'vitest';
import tokenFixture from './__fixtures__/token.json';
import tokenErrorFixture from './__fixtures__/token-error.json';
import { createAvitoTokenProvider } from './avito-token.js';

const tokenUrl = 'POST https://api.avito.ru/token';
const api = createTestServer({
  [tokenUrl]: [
    { json: { ...tokenFixture, access_token: 'first-access-token-1111' } },
    { json: { ...tokenFixture, access_token: 'second-access-token-2222' } },
    { json: { ...tokenFixture, access_token: 'third-access-token-3333' } },
  ],
});

const credentials = { clientId: 'avito-client-id-42', clientSecret: 'avito-client-secret-very-private' };

describe('createAvitoTokenProvider', () => {
  it('fetches lazily with a form-encoded client_credentials body and caches the token', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const tokens = createAvitoTokenProvider({ ...credentials, clock });
    expect(api.calls).toHaveLength(0);
    expect(await tokens.getToken()).toBe('first-access-token-1111');
    expect(await tokens.getToken()).toBe('first-access-token-1111');
    const calls = api.callsTo('/token');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers.get('content-type')).toContain('application/x-www-form-urlencoded');
    expect(calls[0]?.text).toBe(
      'grant_type=client_credentials&client_id=avito-client-id-42&client_secret=avito-client-secret-very-private',
    );
    expect(calls[0]?.headers.get('authorization')).toBeNull();
  });

  it('keeps the token until the refresh margin before expires_in, then fetches a new one', async () => {
    const clock = createManualClock(Date.parse('2026-03-01T09:00:00Z'));
    const tokens = createAvitoTokenProvider({ ...credentials, clock, refreshMarginMs: 5 * 60_000 });
    expect(await tokens.getToken()).toBe('first-access-token-1111');
    clock.advance(86_400_000 - 5 * 60_000 - 1);
    expect(await tokens.getToken()).toBe('first-access-token-1111');
    clock.advance(1);
    expect(await tokens.getToken()).toBe('second-access-token-2222');
    expect(tokens.fetchCount).toBe(2);
    expect(api.callsTo('/token')).toHaveLength(2);
  });

  it('shares one in-flight request between concurrent callers (no stampede)', async () => {
    const tokens = createAvitoTokenProvider({ ...credentials, clock: createManualClock(0) });
    const values = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));
    expect(new Set(values)).toEqual(new Set(['first-access-token-1111']));
    expect(api.callsTo('/token')).toHaveLength(1);
  });

  it('refreshes a rejected token once, even when ten callers report the same rejected token', async () => {
    const tokens = createAvitoTokenProvider({ ...credentials, clock: createManualClock(0) });
    const stale = await tokens.getToken();
    const refreshed = await Promise.all(Array.from({ length: 10 }, () => tokens.refresh(stale)));
    expect(new Set(refreshed)).toEqual(new Set(['second-access-token-2222']));
    // A late caller that still holds the stale token gets the already refreshed one, without a new request.
    expect(await tokens.refresh(stale)).toBe('second-access-token-2222');
    expect(api.callsTo('/token')).toHaveLength(2);
  });

  it('maps rejected credentials to AuthError and never leaks the secret', async () => {
    api.use(tokenUrl, { status: 400, json: tokenErrorFixture });
    const secrets = createSecretRegistry();
    const tokens = createAvitoTokenProvider({ ...credentials, clock: createManualClock(0), secrets });
    const error = await tokens.getToken().catch((caught: unknown) => caught);
    expect(error).toSatisfy(AuthError.isInstance);
    expect(error).toMatchObject({ channel: 'avito', retryable: false, providerCode: 400 });
    expect((error as Error).message).toContain('invalid_client (Client authentication failed)');
    expect(JSON.stringify(error)).not.toContain(credentials.clientSecret);
    expect(secrets.redact(`secret ${credentials.clientSecret}`)).not.toContain(credentials.clientSecret);
    // A failed fetch is not cached: the next call tries again.
    api.use(tokenUrl, { json: tokenFixture });
    expect(await tokens.getToken()).toBe(tokenFixture.access_token);
  });

  it('classifies a 5xx on /token as retryable and adds fetched tokens to the secret registry', async () => {
    api.use(tokenUrl, [
      { status: 503, text: 'Service Unavailable' },
      { json: { ...tokenFixture, access_token: 'fresh-token-abcdef' } },
    ]);
    const secrets = createSecretRegistry();
    const tokens = createAvitoTokenProvider({ ...credentials, clock: createManualClock(0), secrets });
    const error = await tokens.getToken().catch((caught: unknown) => caught);
    expect(error).toSatisfy(ChannelApiError.isInstance);
    expect(error).toMatchObject({ retryable: true, statusCode: 503 });
    expect(await tokens.getToken()).toBe('fresh-token-abcdef');
    expect(secrets.values()).toEqual([credentials.clientSecret, 'fresh-token-abcdef']);
    expect(secrets.redact('Authorization failed for fresh-token-abcdef')).not.toContain('fresh-token-abcdef');
  });
});
