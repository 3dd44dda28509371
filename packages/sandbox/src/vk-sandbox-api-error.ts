import { jsonResponse } from './sandbox-http.js';

/** A VK API error answer (HTTP 200 with `error`), echoing the request's parameters without the token. */
export const apiError = (code: number, message: string, parameters: URLSearchParams) =>
  jsonResponse(200, {
    error: {
      error_code: code,
      error_msg: message,
      request_params: [...parameters]
        .filter(([key]) => key !== 'access_token')
        .map(([key, value]) => ({ key, value }))
        .concat([{ key: 'oauth', value: '1' }]),
    },
  });
