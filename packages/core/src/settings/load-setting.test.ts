import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../errors/validation-error.js';
import { createSecretRegistry } from '../redact.js';
import { loadSetting } from './load-setting.js';

const options = { channel: 'whatsapp', option: 'accessToken', description: 'access token' };

describe('loadSetting', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('returns the option when it is set, without reading the environment', () => {
    vi.stubEnv('WHATSAPP_ACCESS_TOKEN', 'from-env-token');
    expect(loadSetting('from-option-token', 'WHATSAPP_ACCESS_TOKEN', options)).toBe('from-option-token');
  });

  it('falls back to the environment variable, read at the call', () => {
    vi.stubEnv('WHATSAPP_ACCESS_TOKEN', 'first-env-token');
    expect(loadSetting(undefined, 'WHATSAPP_ACCESS_TOKEN', options)).toBe('first-env-token');
    vi.stubEnv('WHATSAPP_ACCESS_TOKEN', 'second-env-token');
    expect(loadSetting(undefined, 'WHATSAPP_ACCESS_TOKEN', options)).toBe('second-env-token');
    expect(loadSetting('', 'WHATSAPP_ACCESS_TOKEN', options)).toBe('second-env-token');
  });

  it('throws a ValidationError naming both the option and the environment variable when neither is set', () => {
    vi.stubEnv('WHATSAPP_ACCESS_TOKEN', '');
    let thrown: unknown;
    try {
      loadSetting(undefined, 'WHATSAPP_ACCESS_TOKEN', options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect(thrown).toMatchObject({
      channel: 'whatsapp',
      code: 'validation',
      retryable: false,
      field: 'settings.accessToken',
      message: 'whatsapp: no access token (pass settings.accessToken or set WHATSAPP_ACCESS_TOKEN)',
    });
  });

  it('names the option itself when no description is given', () => {
    expect(() => loadSetting(undefined, 'SMSC_LOGIN_UNSET_IN_TESTS', { channel: 'sms', option: 'login' })).toThrow(
      'sms: no login (pass settings.login or set SMSC_LOGIN_UNSET_IN_TESTS)',
    );
  });

  it('keeps the names readable even for settings whose names the redaction masks (api_id, password)', () => {
    expect(() =>
      loadSetting(undefined, 'SMSRU_API_ID_UNSET_IN_TESTS', { channel: 'sms', option: 'apiId', description: 'SMS.ru api_id' }),
    ).toThrow('sms: no SMS.ru api_id (pass settings.apiId or set SMSRU_API_ID_UNSET_IN_TESTS)');
    expect(() => loadSetting(undefined, 'SMSC_PASSWORD_UNSET_IN_TESTS', { channel: 'sms', option: 'password' })).toThrow(
      'sms: no password (pass settings.password or set SMSC_PASSWORD_UNSET_IN_TESTS)',
    );
  });

  it('returns undefined for an optional setting that is set nowhere', () => {
    expect(loadSetting(undefined, 'WHATSAPP_APP_SECRET_UNSET_IN_TESTS', { ...options, optional: true })).toBeUndefined();
  });

  it('adds the loaded value to the secret registry, whichever source it came from', () => {
    const secrets = createSecretRegistry();
    vi.stubEnv('WHATSAPP_APP_SECRET', 'env-app-secret-123');
    loadSetting('option-token-456', 'WHATSAPP_ACCESS_TOKEN', { ...options, secrets });
    loadSetting(undefined, 'WHATSAPP_APP_SECRET', { channel: 'whatsapp', option: 'appSecret', secrets, optional: true });
    expect(secrets.values()).toEqual(['option-token-456', 'env-app-secret-123']);
  });
});
