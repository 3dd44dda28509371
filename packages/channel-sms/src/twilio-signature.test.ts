import { describe, expect, it } from 'vitest';
import { computeTwilioSignature, verifyTwilioSignature } from './twilio-signature.js';

// Vectors published in twilio-node's request-validation tests, `spec/validation.spec.js`
// (https://github.com/twilio/twilio-node/blob/main/spec/validation.spec.js): auth token "12345", the URL
// https://mycompany.com/myapp.php?foo=1&bar=2 and the parameters below; each expected signature is copied from there.
const token = '12345';
const requestUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const defaultParameters = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const defaultSignature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
const form = (entries: [string, string][] | Record<string, string> = defaultParameters) => new URLSearchParams(entries);

describe('computeTwilioSignature (twilio-node spec/validation.spec.js vectors)', () => {
  it('signs the default example', async () => {
    expect(await computeTwilioSignature(token, requestUrl, form())).toBe(defaultSignature);
  });

  it('signs a repeated parameter once per value, values sorted ("array parameter")', async () => {
    const expected = '83O6e2vORAoJHUNzJjDWN1jz+BA=';
    const ascending = form([
      ['MessagingBinding.Address', '+1325xxxxxxx'],
      ['MessagingBinding.Address', '+1415xxxxxxx'],
    ]);
    const descending = form([
      ['MessagingBinding.Address', '+1415xxxxxxx'],
      ['MessagingBinding.Address', '+1325xxxxxxx'],
    ]);
    expect(await computeTwilioSignature(token, requestUrl, ascending)).toBe(expected);
    expect(await computeTwilioSignature(token, requestUrl, descending)).toBe(expected);
  });

  it('drops duplicate values of a repeated parameter ("multiple params and values")', async () => {
    const parameters = form([
      ['Sid', 'CA123'],
      ['SidAccount', 'AC123'],
      ['Digits', '5678'],
      ['Digits', '1234'],
      ['Digits', '1234'],
    ]);
    expect(await computeTwilioSignature(token, requestUrl, parameters)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });
});

describe('verifyTwilioSignature (twilio-node spec/validation.spec.js vectors)', () => {
  it('accepts the right signature and rejects a wrong or missing one', async () => {
    expect(await verifyTwilioSignature(token, requestUrl, form(), defaultSignature)).toBe(true);
    expect(await verifyTwilioSignature(token, requestUrl, form(), 'WRONG_SIGNATURE')).toBe(false);
    expect(await verifyTwilioSignature(token, requestUrl, form(), null)).toBe(false);
    expect(await verifyTwilioSignature(token, requestUrl, form({ ...defaultParameters, Digits: '9999' }), defaultSignature)).toBe(
      false,
    );
  });

  it('accepts an https URL with a port when the signature was computed without it', async () => {
    const withPort = requestUrl.replace('.com', '.com:1234');
    expect(await verifyTwilioSignature(token, withPort, form(), defaultSignature)).toBe(true);
  });

  it('accepts an http URL with its own port', async () => {
    const withPort = requestUrl.replace('.com', '.com:1234').replace('https', 'http');
    expect(await verifyTwilioSignature(token, withPort, form(), 'Zmvh+3yNM1Phv2jhDCwEM3q5ebU=')).toBe(true);
  });

  it('accepts a signature over the URL with the default port added (:443 for https, :80 for http)', async () => {
    expect(await verifyTwilioSignature(token, requestUrl, form(), 'kvajT1Ptam85bY51eRf/AJRuM3w=')).toBe(true);
    const http = requestUrl.replace('https', 'http');
    expect(await verifyTwilioSignature(token, http, form(), '0ZXoZLH/DfblKGATFgpif+LLRf4=')).toBe(true);
  });

  it('accepts a signature over the URL without the port when the URL names the default port', async () => {
    const explicitDefault = requestUrl.replace('.com', '.com:443');
    expect(await verifyTwilioSignature(token, explicitDefault, form(), defaultSignature)).toBe(true);
    expect(await verifyTwilioSignature(token, explicitDefault, form(), 'kvajT1Ptam85bY51eRf/AJRuM3w=')).toBe(true);
  });

  it('validates URLs with credentials, with and without the default port', async () => {
    const withCredentials = 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2';
    expect(await verifyTwilioSignature(token, withCredentials, form(), 'CukzLTc1tT5dXEDIHm/tKBanW10=')).toBe(true);
    expect(await verifyTwilioSignature(token, withCredentials, form(), 'ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=')).toBe(true);
    const justUser = 'https://user@mycompany.com/myapp.php?foo=1&bar=2';
    expect(await verifyTwilioSignature(token, justUser, form(), '2YRLlVAflCqxaNicjMpJcSTgzSs=')).toBe(true);
  });

  it('validates a URL with special characters in its query', async () => {
    const special = `${requestUrl}&Body=It's+amazing`;
    expect(await verifyTwilioSignature(token, special, form(), 'dsq4Ehbj6cs+KdTkpF5sSSplOWw=')).toBe(true);
  });

  it('accepts a repeated parameter whatever order its values arrive in', async () => {
    const parameters = form([
      ['Sid', 'CA123'],
      ['Digits', '1234'],
      ['SidAccount', 'AC123'],
      ['Digits', '1234'],
      ['Digits', '5678'],
    ]);
    expect(await verifyTwilioSignature(token, requestUrl, parameters, 'IK+Dwps556ElfBT0I3Rgjkr1wJU=')).toBe(true);
  });

  it('still rejects a signature made for another host or path', async () => {
    expect(await verifyTwilioSignature(token, 'https://evil.example/myapp.php?foo=1&bar=2', form(), defaultSignature)).toBe(
      false,
    );
    expect(await verifyTwilioSignature(token, 'https://mycompany.com/other.php?foo=1&bar=2', form(), defaultSignature)).toBe(
      false,
    );
  });
});
