import { describe, expect, it } from 'vitest';
import { isPrivateUrl } from './public-url.js';

describe('isPrivateUrl', () => {
  it('flags loopback, private, link-local and CGNAT hosts, v4 and v6', () => {
    for (const url of [
      'http://localhost:8080/a.jpg',
      'http://api.localhost/a.jpg',
      'http://127.0.0.1/a.jpg',
      'http://10.1.2.3/a.jpg',
      'http://172.16.0.1/a.jpg',
      'http://172.31.255.255/a.jpg',
      'http://192.168.1.10/a.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/a.jpg',
      'http://0.0.0.0/a.jpg',
      'http://[::1]/a.jpg',
      'http://[fd12:3456::1]/a.jpg',
      'http://[fe80::1]/a.jpg',
      'http://[::ffff:10.0.0.1]/a.jpg',
    ])
      expect(isPrivateUrl(url), url).toBe(true);
  });

  it('lets public hosts and addresses through', () => {
    for (const url of [
      'https://cdn.dealer.example/cars/rio.jpg',
      'http://93.184.216.34/a.jpg',
      'http://172.32.0.1/a.jpg',
      'http://[2a00:1450::1]/a.jpg',
      'not a url',
    ])
      expect(isPrivateUrl(url), url).toBe(false);
  });
});
