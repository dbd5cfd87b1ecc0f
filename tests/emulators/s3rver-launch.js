'use strict';
// Starts s3rver (pinned in package.json) for Lifeboat's tests, adding what real S3 providers
// have and s3rver 3.7.1 lacks:
//   * conditional writes: `If-None-Match: *` on PutObject and CompleteMultipartUpload answers
//     412 PreconditionFailed when the key exists (AWS S3, R2 and MinIO do this); checked and
//     written under a per-key lock, so of concurrent writers exactly one wins.
//     --no-conditional-writes keeps s3rver's own behaviour (the header is ignored).
//   * ListMultipartUploads (GET /bucket?uploads) and AbortMultipartUpload (DELETE /bucket/key?uploadId=),
//     which s3rver answers NotImplemented / MethodNotAllowed: read from and removed in s3rver's own
//     upload directories, with the directory's time as Initiated.
//   * GetObjectLockConfiguration (GET /bucket?object-lock), which s3rver lacks: Enabled for buckets created
//     with x-amz-bucket-object-lock-enabled: true (remembered while it runs), else ObjectLockConfigurationNotFoundError.
//   * If-Match on GetObject and HeadObject answers 412 PreconditionFailed when the object's ETag differs (s3rver ignores
//     the header), as AWS S3 does: bucket backups GET with If-Match on the ETag they listed.
// Run node with --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens
// with DES, which OpenSSL 3 disables by default (without it every truncated listing is a 500).
//
//   * --deny-bucket-creation: CreateBucket answers 403 AccessDenied, as for credentials without s3:CreateBucket.
//   * --list-only-under-prefix: listing a bucket without a prefix answers 403 AccessDenied, as for credentials whose
//     s3:ListBucket is limited to the repository's prefix (an IAM condition on s3:prefix).
//
// usage: node --openssl-legacy-provider s3rver-launch.js -d DIR -p PORT [--bucket NAME]... [--no-conditional-writes] [--deny-bucket-creation] [--list-only-under-prefix]
const S3rver = require('s3rver');

const options = { directory: undefined, port: undefined, buckets: [], conditionalWrites: true, denyBucketCreation: false, listOnlyUnderPrefix: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  switch (argv[i]) {
    case '-d': options.directory = argv[++i]; break;
    case '-p': options.port = Number(argv[++i]); break;
    case '--bucket': options.buckets.push(argv[++i]); break;
    case '--no-conditional-writes': options.conditionalWrites = false; break;
    case '--deny-bucket-creation': options.denyBucketCreation = true; break;
    case '--list-only-under-prefix': options.listOnlyUnderPrefix = true; break;
    default: console.error(`unknown argument ${argv[i]}`); process.exit(2);
  }
}
if (!options.directory || !options.port) {
  console.error('usage: s3rver-launch.js -d DIR -p PORT [--bucket NAME]... [--no-conditional-writes]');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: options.port,
  directory: options.directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: options.buckets.map(name => ({ name, configs: [] })),
});

if (options.conditionalWrites) {
  const locks = new Map();
  const objectLockBuckets = new Set();
server.middleware.unshift(async (ctx, next) => {
    const isPut = ctx.method === 'PUT' && !('partNumber' in ctx.query) && !('uploadId' in ctx.query);
    const isComplete = ctx.method === 'POST' && 'uploadId' in ctx.query;
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.get('if-none-match') !== '*' || !(isPut || isComplete) || !match) {
      return next();
    }
    const bucket = decodeURIComponent(match[1]);
    const key = decodeURIComponent(match[2]);
    const id = `${bucket}/${key}`;
    const previous = locks.get(id) || Promise.resolve();
    let release;
    const mine = previous.then(() => new Promise(resolve => { release = resolve; }));
    locks.set(id, mine);
    await previous;
    try {
      if (await server.store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          '<Condition>If-None-Match</Condition></Error>';
        return;
      }
      await next();
    } finally {
      // `release` was assigned when `previous` settled (its callback ran before this await resumed)
      release();
      if (locks.get(id) === mine) locks.delete(id);
    }
  });
}

const fs = require('fs');
const path = require('path');
const escapeXml = text => text.replace(/[<>&'"]/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
const objectLockBuckets = new Set();
server.middleware.unshift(async (ctx, next) => {
  const bucketOnly = /^\/([^/]+)\/?$/.exec(ctx.path);
  const withKey = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (options.denyBucketCreation && ctx.method === 'PUT' && bucketOnly && Object.keys(ctx.query).length === 0) {
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    return;
  }
  if (options.listOnlyUnderPrefix && ctx.method === 'GET' && bucketOnly && !('uploads' in ctx.query) && !('location' in ctx.query) && !ctx.query.prefix) {
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    return;
  }
  if (ctx.method === 'GET' && bucketOnly && 'uploads' in ctx.query) {
    const bucket = decodeURIComponent(bucketOnly[1]);
    const prefix = ctx.query.prefix || '';
    const root = server.store.getResourcePath(bucket, undefined, 'uploads');
    const ids = fs.existsSync(root) ? fs.readdirSync(root) : [];
    const uploads = [];
    for (const id of ids) {
      const keyFile = path.join(root, id, 'key');
      if (!fs.existsSync(keyFile)) continue;
      const key = fs.readFileSync(keyFile).toString();
      if (!key.startsWith(prefix)) continue;
      uploads.push({ key, id, initiated: fs.statSync(path.join(root, id)).mtime.toISOString() });
    }
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${escapeXml(bucket)}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>` +
      uploads.map(u => `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated}</Initiated></Upload>`).join('') +
      '</ListMultipartUploadsResult>';
    return;
  }
  if (ctx.method === 'DELETE' && withKey && 'uploadId' in ctx.query) {
    const bucket = decodeURIComponent(withKey[1]);
    const dir = path.join(server.store.getResourcePath(bucket, undefined, 'uploads'), path.basename(String(ctx.query.uploadId)));
    if (!fs.existsSync(dir)) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist</Message></Error>';
      return;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'GET' && bucketOnly && 'object-lock' in ctx.query) {
    const enabled = objectLockBuckets.has(decodeURIComponent(bucketOnly[1]));
    ctx.status = enabled ? 200 : 404;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n' + (enabled
      ? '<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>'
      : '<Error><Code>ObjectLockConfigurationNotFoundError</Code><Message>Object Lock configuration does not exist for this bucket</Message></Error>');
    return;
  }
  const lockedCreation = ctx.method === 'PUT' && bucketOnly && Object.keys(ctx.query).length === 0 &&
    String(ctx.get('x-amz-bucket-object-lock-enabled')).toLowerCase() === 'true';
  await next();
  if (lockedCreation && ctx.status === 200) {
    objectLockBuckets.add(decodeURIComponent(bucketOnly[1]));
  }
});

server.middleware.unshift(async (ctx, next) => {
  const withKey = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  const ifMatch = ctx.get('if-match');
  if (!ifMatch || !withKey || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || Object.keys(ctx.query).some(q => q === 'uploadId' || q === 'uploads')) {
    return next();
  }
  let etag;
  try {
    etag = (await server.store.getMetadata(decodeURIComponent(withKey[1]), decodeURIComponent(withKey[2])))['etag'];
  } catch (err) {
    return next(); // missing: s3rver answers 404 itself
  }
  const wanted = ifMatch.split(',').map(t => t.trim());
  if (!wanted.includes('*') && !wanted.includes(etag)) {
    ctx.status = 412;
    if (ctx.method === 'GET') {
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
        '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-Match</Condition></Error>';
    }
    return;
  }
  return next();
});

server.run().then(
  ({ address, port }) => console.log(`s3rver listening on ${address}:${port}`),
  err => { console.error(err); process.exit(1); });
