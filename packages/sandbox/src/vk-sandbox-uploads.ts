import { seededHex } from './random.js';
import type { SandboxContext } from './sandbox-context.js';
import { jsonResponse, readMultipart, type SandboxRequest, type SandboxResponse, textResponse } from './sandbox-http.js';
import type { VkSandboxUpload } from './vk-sandbox.js';
import { apiError } from './vk-sandbox-api-error.js';

/**
 * VK's message uploads in the sandbox: `photos.getMessagesUploadServer` / `docs.getMessagesUploadServer` hand out an
 * upload URL, the file is posted there (`photo` or `file` part), then `photos.saveMessagesPhoto` / `docs.save` turn it
 * into an attachment. `saved` holds the saved files by attachment (`photo-…_…_…`, `doc-…_…`).
 */
export function createVkUploads(context: SandboxContext) {
  const { seed, clock, stats } = context;
  const credentials = context.credentials.vk;
  // Upload ids handed out by getMessagesUploadServer; files posted there until saved; saved files by attachment.
  const uploadServers = new Map<string, 'photo' | 'doc'>();
  const posted = new Map<string, VkSandboxUpload & { hash: string }>();
  const saved = new Map<string, VkSandboxUpload>();
  let uploadCount = 0;
  let mediaId = 457239000;

  const uploadServer = (type: 'photo' | 'doc', parameters: URLSearchParams): SandboxResponse => {
    if (type === 'doc' && !['doc', 'audio_message', 'graffiti', null].includes(parameters.get('type'))) {
      return apiError(100, 'One of the parameters specified was missing or invalid: type is invalid', parameters);
    }
    const id = seededHex(16, seed, 'vk.upload', ++uploadCount);
    uploadServers.set(id, type);
    const upload_url = `${context.origin}/vk/upload/${type}/${id}?gid=${credentials.groupId}`;
    return jsonResponse(200, {
      response: type === 'photo' ? { album_id: -64, upload_url, user_id: 0, group_id: credentials.groupId } : { upload_url },
    });
  };

  // The upload server is another host at VK: no token, HTTP 200 with `{ error }` when it takes no file.
  const upload = async (request: SandboxRequest, type: string, id: string): Promise<SandboxResponse> => {
    if (uploadServers.get(id) !== type) return jsonResponse(200, { error: 'ERR_UPLOAD_BAD_URL: unknown upload server' });
    const field = type === 'photo' ? 'photo' : 'file';
    const file = (await readMultipart(request))?.get(field);
    if (!(file instanceof Blob)) return jsonResponse(200, { error: `ERR_UPLOAD_FILE_NOT_UPLOADED: no "${field}" part` });
    uploadServers.delete(id);
    const filename = file instanceof File ? file.name : 'file';
    const hash = seededHex(32, seed, 'vk.upload.hash', uploadCount);
    const token = `${id}|${filename}`;
    posted.set(token, { type: type as 'photo' | 'doc', filename, size: file.size, contentType: file.type, hash });
    stats.vk.uploads++;
    if (type === 'doc') return jsonResponse(200, { file: token });
    return textResponse(200, JSON.stringify({ server: 909618, photo: JSON.stringify([{ photo: token, sizes: [] }]), hash }), {
      'content-type': 'text/html; charset=windows-1251',
    });
  };

  const savePhoto = (parameters: URLSearchParams): SandboxResponse => {
    let token: string | undefined;
    try {
      token = (JSON.parse(parameters.get('photo') ?? '') as Array<{ photo?: string }>)[0]?.photo;
    } catch {
      token = undefined;
    }
    const file = token ? posted.get(token) : undefined;
    if (!token || !file || file.type !== 'photo')
      return apiError(100, 'One of the parameters specified was missing or invalid: photo is undefined', parameters);
    if (parameters.get('hash') !== file.hash) return apiError(121, 'Invalid hash', parameters);
    posted.delete(token);
    const id = ++mediaId;
    const accessKey = seededHex(18, seed, 'vk.photo.key', id);
    const { hash: _hash, ...upload } = file;
    saved.set(`photo-${credentials.groupId}_${id}_${accessKey}`, upload);
    return jsonResponse(200, {
      response: [
        {
          album_id: -64,
          date: Math.floor(clock.now() / 1000),
          id,
          owner_id: -credentials.groupId,
          access_key: accessKey,
          sizes: [],
          text: '',
        },
      ],
    });
  };

  const saveDoc = (parameters: URLSearchParams): SandboxResponse => {
    const token = parameters.get('file') ?? '';
    const file = posted.get(token);
    if (file?.type !== 'doc')
      return apiError(100, 'One of the parameters specified was missing or invalid: file is undefined', parameters);
    posted.delete(token);
    const id = ++mediaId;
    const { hash: _hash, ...upload } = file;
    const title = parameters.get('title') || file.filename;
    saved.set(`doc-${credentials.groupId}_${id}`, { ...upload, filename: title });
    return jsonResponse(200, {
      response: {
        type: 'doc',
        doc: {
          id,
          owner_id: -credentials.groupId,
          title,
          size: file.size,
          ext: title.split('.').pop() ?? '',
          date: Math.floor(clock.now() / 1000),
          type: 8,
          url: `${context.origin}/vk/doc/${id}`,
        },
      },
    });
  };

  return { uploadServer, upload, savePhoto, saveDoc, saved };
}
