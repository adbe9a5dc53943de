export const id = 447;
export const ids = [447];
export const modules = {

/***/ 3447:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  cancelJob: () => (/* binding */ cancelJob),
  runPipeline: () => (/* binding */ runPipeline)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./shared/action/plan.ts
var plan = __webpack_require__(3076);
// EXTERNAL MODULE: ../main/node_modules/@azure/core-rest-pipeline/dist/esm/index.js + 80 modules
var esm = __webpack_require__(3397);
// EXTERNAL MODULE: ./shared/errors.ts
var errors = __webpack_require__(1581);
;// CONCATENATED MODULE: ./shared/azure/armError.ts
// ARM failures as users can act on them: the operation, ARM's code and message, and the request and
// correlation ids support asks for. 403s name the missing action; 404s name what was looked up.


/** Reads what ARM said from an SDK error (RestError or a failed LRO's error). */
function armErrorDetails(error) {
    // isRestError, not instanceof: the SDK loads core-rest-pipeline's CommonJS build, we its ESM one.
    if ((0,esm/* isRestError */.T0)(error)) {
        const body = (error.details ?? {});
        return {
            status: error.statusCode,
            code: body.error?.code ?? error.code,
            message: body.error?.message ?? error.message,
            requestId: error.response?.headers.get('x-ms-request-id') ?? undefined,
            correlationId: error.response?.headers.get('x-ms-correlation-request-id') ?? undefined,
        };
    }
    const plain = error;
    return {
        status: plain.statusCode,
        code: plain.code,
        message: plain.message ?? String(error),
        requestId: undefined,
        correlationId: undefined,
    };
}
/** True for an ARM 404 (resource or parent missing). */
function isNotFound(error) {
    return (0,esm/* isRestError */.T0)(error) && error.statusCode === 404;
}
/** True for an ARM 409 (version exists, resource busy). */
function armError_isConflict(error) {
    return (0,esm/* isRestError */.T0)(error) && error.statusCode === 409;
}
/**
 * A one-paragraph UserError for a failed ARM call made while doing `operation` (e.g. "reading the
 * workspace ws-main"). Errors that are not ARM's (bugs) pass through unchanged.
 */
function explainArmError(error, operation, hint) {
    if (error instanceof errors/* UserError */.yo || !(0,esm/* isRestError */.T0)(error))
        return error;
    const details = armErrorDetails(error);
    const ids = [
        details.requestId && `request id ${details.requestId}`,
        details.correlationId && `correlation id ${details.correlationId}`,
    ]
        .filter(Boolean)
        .join(', ');
    let advice = hint ?? '';
    if (details.status === 403 && !hint) {
        advice =
            'The identity this step logs in as lacks a role on this scope: see the action named above and grant a role that includes it.';
    }
    const code = details.code ? `${details.code}: ` : '';
    return new errors/* UserError */.yo(`Azure refused ${operation} (HTTP ${details.status ?? '?'}): ${code}${details.message}${advice ? ` ${advice}` : ''}${ids ? ` (${ids})` : ''}`, { cause: error });
}

;// CONCATENATED MODULE: ./shared/azure/assets.ts
// Registering immutable asset versions (models, data, environments, components, code) as DESIGN.md
// settles it: `auto` reads the next version and PUTs; on 409 someone else took that number, so we
// re-check whether they registered the same content (then reuse it) and otherwise try the next one.


/** The property (immutable on a version) that records the content hash of what it points at. */
const CONTENT_HASH_PROPERTY = 'azureml-actions.content-hash';
const MAX_ATTEMPTS = 50;
/**
 * Registers `properties` as a version of the store's name, or reuses one with the same content.
 * `properties` must already carry CONTENT_HASH_PROPERTY in its `properties`.
 */
async function registerVersion(options) {
    const { store, contentHash, dedupe, properties, log } = options;
    const what = `${store.collection}/${store.name}`;
    const container = await store.container().catch((error) => {
        throw explainArmError(error, `reading ${what}`);
    });
    const previousVersion = container?.latestVersion;
    // Always list afresh: a concurrent run may have created the name since `container` was read.
    const findSame = async () => (await store.list()).find((v) => v.contentHash === contentHash);
    if (options.version !== 'auto') {
        const existing = await store.get(options.version);
        if (existing) {
            if (existing.contentHash === contentHash)
                return { version: existing.version, reused: true, previousVersion };
            throw new errors/* UserError */.yo(`${what} version ${options.version} already exists with different content` +
                `${existing.contentHash ? ` (content hash ${existing.contentHash.slice(0, 12)}, this step's is ${contentHash.slice(0, 12)})` : ''}. ` +
                "Versions are immutable: use 'version: auto' or a new version.", { input: 'version' });
        }
        await put(store, options.version, properties, what);
        return { version: options.version, reused: false, previousVersion };
    }
    if (dedupe) {
        const same = await findSame();
        if (same)
            return { version: same.version, reused: true, previousVersion };
    }
    let candidate = container?.nextVersion ?? nextInteger(previousVersion);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const existing = await store.get(candidate);
        if (existing === undefined) {
            try {
                await store.put(candidate, properties);
                return { version: candidate, reused: false, previousVersion };
            }
            catch (error) {
                if (!armError_isConflict(error))
                    throw explainArmError(error, `registering ${what} version ${candidate}`);
                log.debug(`${what} version ${candidate} was taken by another run; trying the next one.`);
            }
        }
        else if (dedupe && existing.contentHash === contentHash) {
            // A concurrent run registered the same content under this number.
            return { version: candidate, reused: true, previousVersion };
        }
        if (dedupe) {
            const same = await findSame();
            if (same)
                return { version: same.version, reused: true, previousVersion };
        }
        candidate = nextInteger(candidate);
    }
    throw new errors/* UserError */.yo(`Could not find a free version of ${what} after ${MAX_ATTEMPTS} attempts: too many concurrent registrations.`);
}
async function put(store, version, properties, what) {
    try {
        await store.put(version, properties);
    }
    catch (error) {
        throw explainArmError(error, `registering ${what} version ${version}`);
    }
}
function nextInteger(version) {
    const n = Number(version);
    return Number.isSafeInteger(n) && n >= 0 ? String(n + 1) : '1';
}
function hashOf(properties) {
    return properties?.properties?.[CONTENT_HASH_PROPERTY] ?? undefined;
}
function uriOf(properties) {
    return properties.modelUri ?? properties.dataUri ?? properties.codeUri ?? undefined;
}
/** The VersionStore of an asset name, over the ARM client. */
function versionStore(client, settings, collection, name) {
    const { resourceGroup: rg, workspace: ws } = settings;
    const api = {
        models: { containers: client.modelContainers, versions: client.modelVersions },
        data: { containers: client.dataContainers, versions: client.dataVersions },
        environments: { containers: client.environmentContainers, versions: client.environmentVersions },
        codes: { containers: client.codeContainers, versions: client.codeVersions },
        components: { containers: client.componentContainers, versions: client.componentVersions },
    }[collection];
    return {
        collection,
        name,
        async container() {
            try {
                const c = await api.containers.get(rg, ws, name);
                const p = c.properties;
                return { latestVersion: p.latestVersion ?? undefined, nextVersion: p.nextVersion ?? undefined };
            }
            catch (error) {
                if (isNotFound(error))
                    return undefined;
                throw error;
            }
        },
        async list() {
            const versions = [];
            try {
                for await (const v of api.versions.list(rg, ws, name)) {
                    versions.push({
                        version: v.name ?? '',
                        contentHash: hashOf(v.properties),
                        uri: uriOf(v.properties),
                    });
                }
            }
            catch (error) {
                if (!isNotFound(error))
                    throw explainArmError(error, `listing ${collection}/${name}`);
            }
            return versions;
        },
        async get(version) {
            try {
                const v = await api.versions.get(rg, ws, name, version);
                return { version, contentHash: hashOf(v.properties) };
            }
            catch (error) {
                if (isNotFound(error))
                    return undefined;
                throw explainArmError(error, `reading ${collection}/${name} version ${version}`);
            }
        },
        async put(version, properties) {
            // The SDK's per-collection body types differ only in `properties`; each is checked by ARM.
            await api.versions.createOrUpdate(rg, ws, name, version, { properties });
        },
    };
}

;// CONCATENATED MODULE: ./shared/azure/ids.ts
// ARM resource IDs and asset references of a workspace, built in one place so every action and
// summary names resources the way Azure does.

function workspaceId(ws) {
    return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}`;
}
/** A resource under the workspace, e.g. `models/vad/versions/3`. */
function workspaceResourceId(ws, relative) {
    return `${workspaceId(ws)}/${relative}`;
}
/** The reference later steps pass around: `azureml:NAME:VERSION`. */
function assetReference(name, version) {
    return `azureml:${name}:${version}`;
}
/**
 * A deployment name derived from the model name and version (DESIGN.md): Azure's rule is a letter
 * first, then letters, digits and '-', at most 32 characters; names cut to fit get a short hash so
 * two long model names never collide.
 */
function deriveDeploymentName(modelName, modelVersion) {
    const wanted = `${modelName}-v${modelVersion}`;
    let cleaned = wanted
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/-+/g, '-')
        .replace(/^-|-$/g, '');
    if (!/^[a-z]/.test(cleaned))
        cleaned = `m-${cleaned}`;
    if (cleaned.length <= 32)
        return cleaned;
    const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 6);
    return `${cleaned.slice(0, 32 - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

;// CONCATENATED MODULE: ./shared/azure/armRequest.ts
// A plain ARM request through the SDK client's pipeline (its login, retries and user agent) for
// bodies the SDK's serializer would damage: @azure/arm-machinelearning 2.1.1 serializes job inputs,
// outputs and AutoML task details with their base types' mappers and drops `uri`, `mode`,
// `primaryMetric`, `limitSettings`... (Azure/azure-sdk-for-js#29328; found by comparing our requests
// with azure-ai-ml's, tests/interop). Errors are RestErrors like the SDK's, so explainArmError reads them.


/** The api-version the SDK (and the whole project) speaks. */
const ARM_API_VERSION = '2022-10-01';
async function armJson(client, settings, method, 
/** Relative to the workspace, e.g. `jobs/train_1`. */
relative, body) {
    const url = `${settings.cloud.armEndpoint.replace(/\/+$/, '')}${workspaceResourceId(settings, relative)}?api-version=${ARM_API_VERSION}`;
    const request = (0,esm/* createPipelineRequest */.G6)({
        url,
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    request.headers.set('content-type', 'application/json');
    const response = await client.sendRequest(request);
    let parsed = {};
    try {
        parsed = response.bodyAsText ? JSON.parse(response.bodyAsText) : {};
    }
    catch {
        // A non-JSON answer (a proxy's error page): the status says enough.
    }
    if (response.status >= 400) {
        const error = parsed.error;
        const restError = new esm/* RestError */.pj(error?.message ?? `HTTP ${response.status}`, {
            code: error?.code,
            statusCode: response.status,
            request,
            response,
        });
        restError.details = parsed;
        throw restError;
    }
    return { status: response.status, body: parsed };
}

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: ../main/node_modules/ignore/index.js
var ignore = __webpack_require__(3501);
var ignore_default = /*#__PURE__*/__webpack_require__.n(ignore);
;// CONCATENATED MODULE: ./shared/upload/snapshot.ts
// Turns a local file or folder into a snapshot: the files an upload will send, each with its size
// and SHA-256 (hashed while streaming), and one content hash that names the whole asset.





/** Bumped whenever the canonical text below changes: old and new hashes must never collide. */
const CONTENT_HASH_FORMAT = 'azureml-actions/content-hash@1';
const HASH_READ_CHUNK = 4 * 1024 * 1024;
/**
 * The content hash of an asset: SHA-256 over the format tag, the kind and one line per file in
 * code-unit order of relPath. JSON-quoting the path keeps names with newlines unambiguous.
 */
function computeContentHash(kind, files) {
    const sorted = [...files].sort((a, b) => compareCodeUnits(a.relPath, b.relPath));
    const hash = (0,external_node_crypto_.createHash)('sha256');
    hash.update(`${CONTENT_HASH_FORMAT}\n${kind}\n${sorted.length}\n`);
    for (const file of sorted)
        hash.update(`${JSON.stringify(file.relPath)} ${file.size} ${file.sha256}\n`);
    return hash.digest('hex');
}
/** Plain code-unit comparison: `localeCompare` would depend on the runner's ICU data and locale. */
function compareCodeUnits(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
/**
 * SHA-256 of a file, read in pieces of at most 4 MiB into one buffer: memory stays flat for any file
 * size, and reusing the buffer measured 2-3x faster here than a read stream's fresh 1 MiB chunks.
 */
async function hashFile(filePath, signal) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    const handle = await (0,promises_.open)(filePath, 'r');
    try {
        const { size: expectedSize } = await handle.stat();
        const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(expectedSize, HASH_READ_CHUNK)));
        let size = 0;
        for (;;) {
            signal?.throwIfAborted();
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
            if (bytesRead === 0)
                break;
            hash.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
            size += bytesRead;
        }
        return { sha256: hash.digest('hex'), size };
    }
    finally {
        await handle.close();
    }
}
/** Absolute local path of one snapshot file. */
function localPathOf(snapshot, file) {
    return snapshot.kind === 'file' ? snapshot.localPath : external_node_path_default().join(snapshot.localPath, ...file.relPath.split('/'));
}
/**
 * Walks `sourcePath` and hashes every file. Symbolic links are followed when they stay inside the
 * folder and refused when they point outside it (an upload must not pick up files from elsewhere).
 */
async function snapshot_createSnapshot(sourcePath, options = {}) {
    const localPath = external_node_path_default().resolve(sourcePath);
    let info;
    try {
        info = await (0,promises_.stat)(localPath);
    }
    catch (error) {
        throw new errors/* UserError */.yo(`The path '${sourcePath}' to upload does not exist or cannot be read.`, { cause: error });
    }
    const name = external_node_path_default().basename(localPath);
    if (name === '')
        throw new errors/* UserError */.yo(`The path '${sourcePath}' is a file system root; name a file or folder.`);
    if (info.isFile()) {
        const { sha256, size } = await hashFile(localPath, options.signal);
        const files = [{ relPath: name, size, sha256 }];
        return {
            kind: 'file',
            name,
            localPath,
            files,
            totalBytes: size,
            contentHash: computeContentHash('file', files),
            ignoreFile: undefined,
        };
    }
    if (!info.isDirectory())
        throw new errors/* UserError */.yo(`The path '${sourcePath}' is neither a file nor a folder.`);
    const { rules, ignoreFile } = await loadIgnoreRules(localPath, options);
    const found = [];
    const rootReal = await (0,promises_.realpath)(localPath);
    await walkFolder(localPath, rootReal, '', [rootReal], rules, found, options);
    found.sort((a, b) => compareCodeUnits(a.relPath, b.relPath));
    const files = new Array(found.length);
    await forEachLimited(found, options.hashConcurrency ?? 4, options.signal, async (entry, index) => {
        const { sha256, size } = await hashFile(entry.absPath, options.signal);
        files[index] = { relPath: entry.relPath, size, sha256 };
    });
    const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
    return {
        kind: 'folder',
        name,
        localPath,
        files,
        totalBytes,
        contentHash: computeContentHash('folder', files),
        ignoreFile,
    };
}
/**
 * azure-ai-ml reads one ignore file at the folder's root: `.amlignore` when present, otherwise
 * `.gitignore` (never both). Patterns use gitignore syntax, relative to that root.
 */
async function loadIgnoreRules(root, options) {
    const rules = ignore_default()();
    let ignoreFile;
    if (options.useIgnoreFiles ?? true) {
        for (const candidate of ['.amlignore', '.gitignore']) {
            const text = await (0,promises_.readFile)(external_node_path_default().join(root, candidate), 'utf8').catch((error) => {
                if (error.code === 'ENOENT' || error.code === 'EISDIR')
                    return undefined;
                throw error;
            });
            if (text !== undefined) {
                rules.add(text);
                ignoreFile = candidate;
                break;
            }
        }
    }
    if (options.ignorePatterns?.length)
        rules.add(options.ignorePatterns);
    return { rules, ignoreFile };
}
async function walkFolder(dirPath, rootReal, relDir, realChain, rules, found, options) {
    options.signal?.throwIfAborted();
    const entries = await (0,promises_.readdir)(dirPath, { withFileTypes: true });
    entries.sort((a, b) => compareCodeUnits(a.name, b.name));
    for (const entry of entries) {
        const relPath = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
        const absPath = external_node_path_default().join(dirPath, entry.name);
        let isDirectory = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
            // The link's target type decides which ignore patterns apply (`logs/` matches folders only);
            // an ignored link is never resolved, so an ignored link to outside is not an error.
            const target = await (0,promises_.stat)(absPath).catch(() => undefined);
            isDirectory = target?.isDirectory() ?? false;
            isFile = target?.isFile() ?? false;
            if (rules.ignores(isDirectory ? `${relPath}/` : relPath))
                continue;
            await resolveLinkInside(absPath, relPath, rootReal);
        }
        if (isDirectory) {
            if (rules.ignores(`${relPath}/`))
                continue;
            const real = await (0,promises_.realpath)(absPath);
            if (realChain.includes(real)) {
                throw new errors/* UserError */.yo(`The folder '${relPath}' is a symbolic link to one of its own parent folders (a loop).`);
            }
            await walkFolder(absPath, rootReal, relPath, [...realChain, real], rules, found, options);
        }
        else if (isFile) {
            if (rules.ignores(relPath))
                continue;
            found.push({ relPath, absPath });
        }
        else if (!rules.ignores(relPath)) {
            options.logger?.warning(`Skipping '${relPath}': not a regular file or folder (socket, FIFO or device).`);
        }
    }
}
/** Resolves a symbolic link and refuses it unless its target is inside the folder being uploaded. */
async function resolveLinkInside(absPath, relPath, rootReal) {
    let target;
    try {
        target = await (0,promises_.realpath)(absPath);
    }
    catch (error) {
        const link = await (0,promises_.lstat)(absPath).catch(() => undefined);
        throw new errors/* UserError */.yo(`The symbolic link '${relPath}' ${link ? 'points to a path that does not exist' : 'cannot be read'}; remove it or add it to .amlignore.`, { cause: error });
    }
    const inside = target === rootReal || target.startsWith(rootReal.endsWith((external_node_path_default()).sep) ? rootReal : rootReal + (external_node_path_default()).sep);
    if (!inside) {
        throw new errors/* UserError */.yo(`The symbolic link '${relPath}' points to '${target}', outside the folder being uploaded ('${rootReal}'). ` +
            'Links are only followed inside that folder; copy the target in, or add the link to .amlignore.');
    }
    return target;
}
/** Runs `work` on every item with at most `limit` running at once; the first failure stops new work. */
async function forEachLimited(items, limit, signal, work) {
    let next = 0;
    let failure;
    const worker = async () => {
        while (failure === undefined && next < items.length) {
            if (signal?.aborted) {
                failure ??= { error: signal.reason };
                return;
            }
            const index = next++;
            try {
                await work(items[index], index);
            }
            catch (error) {
                failure ??= { error };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    if (failure !== undefined)
        throw failure.error;
}

;// CONCATENATED MODULE: ./shared/upload/layout.ts
// Where an upload lives in the datastore container and what its completion record says.
// Content-addressed at azure-ai-ml's key (`LocalUpload/<hash>/<name>`), our record keyed by our content hash.

/** The folder azure-ai-ml and the Azure ML studio put local uploads in. */
const layout_UPLOAD_ROOT = 'LocalUpload';
/**
 * Completion records live in this folder under the content-hash key (`LocalUpload/<content hash>/.azureml-actions/`),
 * never inside an asset's own folder, so a `uri_folder` asset holds exactly the user's files.
 */
const RECORD_FOLDER = '.azureml-actions';
const RECORD_FORMAT = 'azureml-actions/upload-record@1';
const LINEAGE_FORMAT = 'azureml-actions/upload-lineage@1';
/** Blob metadata key that carries each blob's SHA-256 (metadata keys must be C# identifiers). */
const SHA256_METADATA_KEY = 'sha256';
/** Hex characters of the content hash used in the path: 128 bits, as long as azure-ai-ml's MD5 ids. */
const PATH_HASH_LENGTH = 32;
/** `LocalUpload/<first 32 hex chars of the key>`: the key is azure-ai-ml's object hash or our content hash. */
function uploadPrefix(key) {
    return `${layout_UPLOAD_ROOT}/${key.slice(0, PATH_HASH_LENGTH)}`;
}
/** `LocalUpload/<key>/<name>` */
function assetPathAt(key, name) {
    return `${uploadPrefix(key)}/${name}`;
}
/**
 * The asset's path keyed by our content hash: where uploads went before they met azure-ai-ml's key
 * (their records still point there), and the fallback when azure-ai-ml's folder holds other files.
 */
function contentHashAssetPath(asset) {
    return assetPathAt(asset.contentHash, asset.name);
}
/** Blob name of one file of an upload. */
function blobNameOf(location, file) {
    return location.kind === 'file' ? location.assetPath : `${location.assetPath}/${file.relPath}`;
}
/**
 * Blob name of the completion record of an asset: always keyed by the content hash (found without
 * reading azure-ai-ml's key), whichever folder the record's `assetPath` names. Several names with one
 * content hash each get their own.
 */
function recordBlobName(asset) {
    return `${recordFolderOf(asset.contentHash)}${asset.name}.json`;
}
/** Folder (with trailing '/') holding every completion record for one content hash. */
function recordFolderOf(contentHash) {
    return `${uploadPrefix(contentHash)}/${RECORD_FOLDER}/`;
}
/**
 * Blob name of a lineage index: the last few uploads made under one lineage key (by default the
 * asset's kind and name), so a changed folder finds its previous upload without being told.
 */
function lineageBlobName(lineage) {
    const key = (0,external_node_crypto_.createHash)('sha256').update(lineage).digest('hex').slice(0, PATH_HASH_LENGTH);
    return `${layout_UPLOAD_ROOT}/${RECORD_FOLDER}/lineage/${key}.json`;
}
function buildCompletionRecord(snapshot, assetPath, completedAt) {
    return {
        format: RECORD_FORMAT,
        contentHash: snapshot.contentHash,
        kind: snapshot.kind,
        name: snapshot.name,
        assetPath,
        totalBytes: snapshot.totalBytes,
        fileCount: snapshot.files.length,
        files: snapshot.files.map((file) => ({ path: file.relPath, size: file.size, sha256: file.sha256 })),
        completedAt: completedAt.toISOString(),
    };
}
/** Parses a record, or returns undefined when the text is not one (foreign or damaged blob). */
function parseCompletionRecord(text) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (typeof value !== 'object' || value === null)
        return undefined;
    const record = value;
    if (record.format !== RECORD_FORMAT)
        return undefined;
    if (typeof record.contentHash !== 'string' || !/^[0-9a-f]{64}$/.test(record.contentHash))
        return undefined;
    if (record.kind !== 'file' && record.kind !== 'folder')
        return undefined;
    if (typeof record.name !== 'string' || !Array.isArray(record.files))
        return undefined;
    const folder = typeof record.assetPath === 'string' ? record.assetPath.slice(0, -record.name.length - 1) : '';
    if (!new RegExp(`^${layout_UPLOAD_ROOT}/[0-9a-f]{${PATH_HASH_LENGTH}}$`).test(folder))
        return undefined;
    if (record.assetPath !== `${folder}/${record.name}`)
        return undefined;
    const filesValid = record.files.every((file) => typeof file === 'object' &&
        file !== null &&
        typeof file.path === 'string' &&
        typeof file.size === 'number' &&
        typeof file.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(file.sha256));
    return filesValid ? record : undefined;
}
function parseLineageIndex(text) {
    try {
        const value = JSON.parse(text);
        if (value.format !== LINEAGE_FORMAT || !Array.isArray(value.recent))
            return undefined;
        return { format: LINEAGE_FORMAT, recent: value.recent.filter((entry) => typeof entry?.contentHash === 'string') };
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./shared/upload/azureAiMl.ts
// azure-ai-ml's side of content addressing (README.md, "azure-ai-ml interop"): the folder key it
// uploads a local path under (`get_object_hash`), the blob that marks its upload complete, and the
// `LocalUpload` URIs it registers. Uploads meet at that key, so neither tool repeats the other's.





/** The seed azure-ai-ml 1.x feeds its MD5 before any content (azure/ai/ml/_utils/_asset_utils.py). */
const OBJECT_HASH_SEED = 'Initialize for october 2021 AML CLI version';
/** azure-ai-ml's completion marker on the indicator blob (`UPLOAD_CONFIRMATION`), with `name` and `version`. */
const UPLOAD_STATUS_METADATA_KEY = 'upload_status';
const UPLOAD_STATUS_COMPLETED = 'completed';
/** Pieces read ahead of the hash, each at most this size: 16 MiB of file data in memory at most. */
const READ_CHUNK = 2 * 1024 * 1024;
const READS_AHEAD = 8;
/**
 * azure-ai-ml's object hash of the snapshot's content: the 32-hex folder it uploads this content to
 * (`LocalUpload/<hash>/<name>`). MD5 seeded with OBJECT_HASH_SEED, then for a file its bytes; for a
 * folder, level by level, each entry sorted by lower-cased name (ties in code-unit order, which
 * azure-ai-ml leaves to the file system): the name's UTF-8 bytes, then the file's bytes or the
 * sub-folder's entries. A snapshot lists no empty folders, which azure-ai-ml hashes by name: for such
 * a folder the keys differ (its content is then uploaded again, never mixed up).
 *
 * One sequential MD5 over everything, so it is a pass of its own (a few files read ahead, bounded
 * memory): callers compute it only when an upload may be needed.
 */
async function azureAiMlObjectHash(snapshot, signal) {
    const hash = (0,external_node_crypto_.createHash)('md5').update(OBJECT_HASH_SEED);
    await feedInOrder(hash, hashOrder(snapshot), signal);
    return hash.digest('hex');
}
/** Base64 MD5 of one snapshot file, as storage keeps it in a blob's Content-MD5. */
async function contentMd5Of(snapshot, file, signal) {
    const hash = (0,external_node_crypto_.createHash)('md5');
    await feedInOrder(hash, [{ path: localPathOf(snapshot, file), size: file.size }], signal);
    return hash.digest('base64');
}
/**
 * The file whose blob azure-ai-ml marks complete: the upload itself for a file, else the first of its
 * sorted upload paths (local paths in code-point order; on POSIX the snapshot's own first file).
 */
function azureAiMlIndicatorFile(snapshot) {
    return snapshot.files[0];
}
/** `upload_status=completed` and the asset azure-ai-ml links the upload to (it reuses them for anonymous code). */
function completedUploadMetadata(linkedAsset) {
    return {
        [UPLOAD_STATUS_METADATA_KEY]: UPLOAD_STATUS_COMPLETED,
        name: linkedAsset.name,
        version: linkedAsset.version,
    };
}
function isCompletedUploadMetadata(metadata) {
    return metadata?.[UPLOAD_STATUS_METADATA_KEY] === UPLOAD_STATUS_COMPLETED;
}
/**
 * The datastore, folder key and name of a `LocalUpload` asset URI, in the long
 * (`azureml://subscriptions/…/workspaces/…/datastores/D/paths/…`) or short (`azureml://datastores/D/paths/…`)
 * form, with or without a trailing `/`; undefined for any other URI.
 */
function parseLocalUploadUri(uri) {
    const match = new RegExp('^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/(?:providers/Microsoft\\.MachineLearningServices/)?workspaces/[^/]+/)?' +
        `datastores/([^/]+)/paths/${UPLOAD_ROOT}/([0-9a-f]{32})/([^/]+)/?$`, 'i').exec(uri);
    if (!match)
        return undefined;
    return { datastore: match[1], key: match[2].toLowerCase(), name: decodeURIComponent(match[3]) };
}
/** Names and files in the order azure-ai-ml feeds them to its hash. */
function hashOrder(snapshot) {
    const fileStep = (file) => ({ path: localPathOf(snapshot, file), size: file.size });
    if (snapshot.kind === 'file')
        return snapshot.files.map(fileStep);
    const root = { files: new Map(), dirs: new Map() };
    for (const file of snapshot.files) {
        const parts = file.relPath.split('/');
        let node = root;
        for (const dir of parts.slice(0, -1)) {
            let next = node.dirs.get(dir);
            if (!next)
                node.dirs.set(dir, (next = { files: new Map(), dirs: new Map() }));
            node = next;
        }
        node.files.set(parts.at(-1), file);
    }
    const steps = [];
    const walk = (tree) => {
        const names = [...tree.files.keys(), ...tree.dirs.keys()].sort(byLowerCaseName);
        for (const name of names) {
            steps.push(name);
            const file = tree.files.get(name);
            if (file)
                steps.push(fileStep(file));
            else
                walk(tree.dirs.get(name));
        }
    };
    walk(root);
    return steps;
}
function byLowerCaseName(a, b) {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    if (x !== y)
        return x < y ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
}
/**
 * Feeds names and file bytes to `hash` strictly in order while up to READS_AHEAD pieces of the next
 * files are read in parallel into reused buffers (thousands of small files would otherwise wait on
 * one open/read/close round trip each).
 */
async function feedInOrder(hash, steps, signal) {
    const pieces = function* () {
        for (const step of steps) {
            if (typeof step === 'string') {
                yield step;
                continue;
            }
            const file = { ...step, unread: Math.ceil(step.size / READ_CHUNK) };
            for (let offset = 0; offset < step.size; offset += READ_CHUNK) {
                yield { file, offset, length: Math.min(READ_CHUNK, step.size - offset) };
            }
        }
    };
    const spare = [];
    const stillOpen = new Set();
    const read = async (piece) => {
        const buffer = spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
        const { file } = piece;
        if (!file.handle)
            stillOpen.add((file.handle = (0,promises_.open)(file.path, 'r')));
        const handle = await file.handle;
        const { bytesRead } = await handle.read(buffer, 0, piece.length, piece.offset);
        if (--file.unread === 0) {
            stillOpen.delete(file.handle);
            await handle.close();
        }
        if (bytesRead !== piece.length) {
            throw new errors/* UserError */.yo(`The file '${file.path}' changed while it was being hashed; run the step again.`);
        }
        return buffer;
    };
    const queue = [];
    const source = pieces();
    let next = source.next();
    let reading = 0;
    try {
        for (;;) {
            while (!next.done && (typeof next.value === 'string' || reading < READS_AHEAD)) {
                const value = next.value;
                if (typeof value === 'string')
                    queue.push({ name: value });
                else {
                    reading++;
                    queue.push({ piece: value, buffer: read(value) });
                }
                next = source.next();
            }
            const item = queue.shift();
            if (!item)
                break;
            signal?.throwIfAborted();
            if ('name' in item) {
                hash.update(item.name, 'utf8');
                continue;
            }
            const buffer = await item.buffer;
            hash.update(item.piece.length === buffer.length ? buffer : buffer.subarray(0, item.piece.length));
            spare.push(buffer);
            reading--;
        }
    }
    finally {
        // After a failure: let reads in flight settle, then close every file still open.
        await Promise.allSettled(queue.flatMap((item) => ('buffer' in item ? [item.buffer] : [])));
        await Promise.allSettled([...stillOpen].map(async (handle) => {
            await (await handle).close().catch(() => undefined);
        }));
    }
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
;// CONCATENATED MODULE: ./shared/upload/transfer.ts
// Sends one local file to one block blob: a single Put Blob for small files, staged blocks for
// large ones, always through a shared memory budget so RSS stays bounded whatever the file sizes.






/**
 * Counts bytes of file data held in memory by the transfers sharing it. Block-sized buffers are kept
 * for reuse (a `blockSize` of 0 turns that off): recycling them avoids leaving garbage collection to
 * free hundreds of 8 MB buffers.
 */
class BufferBudget {
    limitBytes;
    blockSize;
    available;
    waiters = [];
    spareBlocks = [];
    constructor(limitBytes, blockSize) {
        this.limitBytes = limitBytes;
        this.blockSize = blockSize;
        this.available = limitBytes;
    }
    /** Waits until `bytes` fit in the budget and returns a buffer of exactly that length. */
    async take(bytes, signal) {
        const wanted = Math.min(bytes, this.limitBytes);
        if (this.available >= wanted && this.waiters.length === 0) {
            this.available -= wanted;
        }
        else {
            await new Promise((resolve, reject) => {
                const waiter = {
                    bytes: wanted,
                    resolve: () => {
                        signal?.removeEventListener('abort', onAbort);
                        resolve();
                    },
                };
                const onAbort = () => {
                    const index = this.waiters.indexOf(waiter);
                    if (index >= 0)
                        this.waiters.splice(index, 1);
                    reject(signal?.reason);
                };
                signal?.addEventListener('abort', onAbort, { once: true });
                this.waiters.push(waiter);
            });
        }
        if (bytes === this.blockSize && bytes > 0)
            return this.spareBlocks.pop() ?? Buffer.allocUnsafeSlow(bytes);
        return Buffer.allocUnsafeSlow(bytes);
    }
    give(buffer) {
        const reusable = this.blockSize > 0 && buffer.length === this.blockSize;
        if (reusable && this.spareBlocks.length * this.blockSize < this.limitBytes) {
            this.spareBlocks.push(buffer);
        }
        this.available += Math.min(buffer.length, this.limitBytes);
        while (this.waiters.length > 0) {
            const first = this.waiters[0];
            if (first.bytes > this.available)
                break;
            this.available -= first.bytes;
            this.waiters.shift();
            first.resolve();
        }
    }
}
const MiB = 1024 * 1024;
const MAX_BLOCKS_PER_BLOB = 50_000;
/** Uploads the file and returns how many bytes were sent (less than its size when resuming staged blocks). */
async function sendFile(blob, file, settings) {
    if (file.size > settings.blockSize && file.size <= settings.singlePutMaxBytes) {
        return sendStreamed(blob, file, settings);
    }
    const handle = await (0,promises_.open)(file.localPath, 'r');
    try {
        if (file.size <= settings.blockSize)
            return await sendWhole(blob, handle, file, settings);
        return await sendInBlocks(blob, handle, file, settings);
    }
    finally {
        await handle.close();
    }
}
async function sendWhole(blob, handle, file, settings) {
    const buffer = await settings.budget.take(file.size, settings.signal);
    try {
        await readExactly(handle, buffer, 0, file);
        assertUnchanged(file, (0,external_node_crypto_.createHash)('sha256').update(buffer).digest('hex'));
        await blob.upload(buffer, buffer.length, {
            metadata: { [SHA256_METADATA_KEY]: file.sha256 },
            abortSignal: settings.signal,
        });
        settings.onBytesSent(buffer.length);
        return buffer.length;
    }
    finally {
        settings.budget.give(buffer);
    }
}
/**
 * One Put Blob whose body streams from disk through a hash (no file-sized buffer). The bytes can
 * only be checked after they are stored, so the blob is written without `sha256` metadata and gets
 * it from a Set Blob Metadata once the hash matched: until then no run treats it as present, and a
 * file that changed mid-upload leaves a blob that is deleted (or, after a crash, re-sent next time).
 * On Azurite this measured about twice as fast as staging 8 MiB blocks, as `uploadFile` does up to
 * 256 MiB; larger files use blocks (parallel and resumable).
 */
async function sendStreamed(blob, file, settings) {
    let streamedSha256;
    let reported = 0;
    const openBody = () => {
        // Called again by the SDK's retry policy: every attempt hashes its own stream.
        const hash = (0,external_node_crypto_.createHash)('sha256');
        const source = (0,external_node_fs_.createReadStream)(file.localPath, { start: 0, end: file.size - 1, highWaterMark: MiB });
        const hashing = new external_node_stream_.Transform({
            transform(chunk, _encoding, done) {
                hash.update(chunk);
                done(null, chunk);
            },
            flush(done) {
                streamedSha256 = hash.digest('hex');
                done();
            },
        });
        source.on('error', (error) => hashing.destroy(error));
        return source.pipe(hashing);
    };
    try {
        await blob.upload(openBody, file.size, {
            abortSignal: settings.signal,
            onProgress: ({ loadedBytes }) => {
                if (loadedBytes > reported) {
                    settings.onBytesSent(loadedBytes - reported);
                    reported = loadedBytes;
                }
            },
        });
    }
    catch (error) {
        const now = await (0,promises_.stat)(file.localPath).catch(() => undefined);
        if (now?.size !== file.size)
            throw changedDuringUpload(file);
        throw error;
    }
    if (reported < file.size)
        settings.onBytesSent(file.size - reported);
    if (streamedSha256 !== file.sha256) {
        await blob.deleteIfExists({ abortSignal: settings.signal });
        throw changedDuringUpload(file);
    }
    await blob.setMetadata({ [SHA256_METADATA_KEY]: file.sha256 }, { abortSignal: settings.signal });
    return file.size;
}
/**
 * Blocks are read in order (so the file is re-hashed as it is sent) and up to
 * `blocksInFlightPerFile` are staged at once. Block ids name the file's SHA-256, the block size and
 * the index, so a rerun after an interruption skips blocks the service already holds uncommitted.
 */
async function sendInBlocks(blob, handle, file, settings) {
    // A block blob holds at most 50,000 blocks: files beyond 50,000 blocks (400 GiB at 8 MiB) get
    // larger blocks, rounded up to whole MiB.
    const blockSize = Math.max(settings.blockSize, Math.ceil(file.size / MAX_BLOCKS_PER_BLOB / MiB) * MiB);
    const blockCount = Math.ceil(file.size / blockSize);
    const blockIds = Array.from({ length: blockCount }, (_, index) => blockIdOf(file.sha256, blockSize, index));
    const alreadyStaged = await stagedBlocks(blob, settings.signal);
    const hash = (0,external_node_crypto_.createHash)('sha256');
    const inFlight = new Set();
    let failure;
    let sent = 0;
    for (let index = 0; index < blockCount && failure === undefined; index++) {
        const offset = index * blockSize;
        const length = Math.min(blockSize, file.size - offset);
        let buffer;
        try {
            buffer = await settings.budget.take(length, settings.signal);
        }
        catch (error) {
            failure = { error };
            break;
        }
        try {
            await readExactly(handle, buffer, offset, file);
        }
        catch (error) {
            settings.budget.give(buffer);
            failure = { error };
            break;
        }
        hash.update(buffer);
        const blockId = blockIds[index];
        if (alreadyStaged.get(blockId) === length) {
            settings.budget.give(buffer);
            continue;
        }
        const staging = blob
            .stageBlock(blockId, buffer, length, { abortSignal: settings.signal })
            .then(() => {
            sent += length;
            settings.onBytesSent(length);
        }, (error) => {
            failure ??= { error };
        })
            .finally(() => {
            settings.budget.give(buffer);
            inFlight.delete(staging);
        });
        inFlight.add(staging);
        if (inFlight.size >= settings.blocksInFlightPerFile)
            await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure !== undefined)
        throw failure.error;
    assertUnchanged(file, hash.digest('hex'));
    await blob.commitBlockList(blockIds, {
        metadata: { [SHA256_METADATA_KEY]: file.sha256 },
        abortSignal: settings.signal,
    });
    return sent;
}
/** Fixed-length ids (the service requires one length per blob), at most 64 bytes before base64. */
function blockIdOf(sha256, blockSize, index) {
    const text = `${sha256.slice(0, 32)}-${blockSize.toString(16).padStart(8, '0')}-${index.toString().padStart(6, '0')}`;
    return Buffer.from(text).toString('base64');
}
/** Uncommitted blocks left by an interrupted earlier attempt, by id, with their sizes. */
async function stagedBlocks(blob, signal) {
    try {
        const list = await blob.getBlockList('uncommitted', { abortSignal: signal });
        return new Map((list.uncommittedBlocks ?? []).map((block) => [block.name, block.size]));
    }
    catch (error) {
        if (error.statusCode === 404)
            return new Map();
        throw error;
    }
}
async function readExactly(handle, buffer, position, file) {
    let filled = 0;
    while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
        if (bytesRead === 0)
            throw changedDuringUpload(file);
        filled += bytesRead;
    }
}
function assertUnchanged(file, sha256) {
    if (sha256 !== file.sha256)
        throw changedDuringUpload(file);
}
function changedDuringUpload(file) {
    return new errors/* UserError */.yo(`The file '${file.localPath}' changed while it was being uploaded (its content no longer matches the hash ` +
        'taken before the upload). Make sure nothing writes to the folder during the step, then run it again.');
}

;// CONCATENATED MODULE: ./shared/upload/upload.ts
// Uploads a snapshot to its content-addressed place in a datastore container: nothing when it is
// already complete, only missing blobs after an interruption, server-side copies for unchanged files.






const upload_MiB = 1024 * 1024;
const LINEAGE_KEEP = 5;
/** Files up to this size draw on the small-file share of the memory budget. */
const SMALL_FILE_BYTES = upload_MiB;
/** Snapshots `sourcePath` and uploads it. */
async function uploadPath(container, sourcePath, options) {
    const snapshot = await createSnapshot(sourcePath, { ...options, signal: options.signal, logger: options.logger });
    const result = await uploadSnapshot(container, snapshot, options);
    return { snapshot, result };
}
async function uploadSnapshot(container, snapshot, options) {
    try {
        return await uploadUnexplained(container, snapshot, options);
    }
    catch (error) {
        throw explainStorageError(error);
    }
}
/**
 * The completion record of this snapshot's upload when one exists (the asset is complete), without
 * sending anything: for dry runs and for deciding whether a new asset version is needed.
 */
async function findCompletedUpload(container, snapshot, signal) {
    try {
        const text = await readText(container, recordBlobName(snapshot), signal);
        const record = text === undefined ? undefined : parseCompletionRecord(text);
        const matches = record?.contentHash === snapshot.contentHash && record.fileCount === snapshot.files.length;
        return matches ? record : undefined;
    }
    catch (error) {
        throw explainStorageError(error);
    }
}
async function uploadUnexplained(container, snapshot, options) {
    const started = Date.now();
    const { logger, signal } = options;
    assertUploadable(snapshot);
    const lineage = options.lineage === undefined ? `${snapshot.kind}:${snapshot.name}` : options.lineage;
    const describeAt = (assetPath) => ({
        contentHash: snapshot.contentHash,
        kind: snapshot.kind,
        prefix: assetPath.slice(0, assetPath.length - snapshot.name.length - 1),
        assetPath,
        totalBytes: snapshot.totalBytes,
        fileCount: snapshot.files.length,
    });
    const nothingSent = (assetPath, reusedAzureAiMlUpload) => ({
        ...describeAt(assetPath),
        bytesUploaded: 0,
        filesUploaded: 0,
        filesCopied: 0,
        filesSkipped: snapshot.files.length,
        reused: true,
        reusedAzureAiMlUpload,
        durationMs: Date.now() - started,
    });
    const record = await findCompletedUpload(container, snapshot, signal);
    if (record) {
        logger.info(`${record.assetPath} is already uploaded (content hash ${snapshot.contentHash}); nothing to send.`);
        if (lineage !== null)
            await rememberUpload(container, lineage, snapshot, signal, logger);
        return nothingSent(record.assetPath, false);
    }
    // An upload may be needed: find azure-ai-ml's key (one more read of the files) while the copy
    // sources of earlier uploads are looked up.
    const [objectHash, copySources] = await Promise.all([
        options.azureAiMlObjectHash ?? azureAiMlObjectHash(snapshot, signal),
        findCopySources(container, snapshot, options, lineage, signal),
    ]);
    let location = { kind: snapshot.kind, assetPath: assetPathAt(objectHash, snapshot.name) };
    let present = await listAssetBlobs(container, location, signal);
    const expected = new Set(snapshot.files.map((file) => blobNameOf(location, file)));
    const foreign = [...present.keys()].filter((name) => !expected.has(name));
    const atAzureAiMlKey = foreign.length === 0;
    if (!atAzureAiMlKey) {
        // Not this content after all (an MD5 collision, or files added by hand): never mix the two.
        const fallback = contentHashAssetPath(snapshot);
        logger.warning(`${location.assetPath} (azure-ai-ml's folder for this content) holds other files, such as '${foreign[0]}'; ` +
            `uploading to ${fallback} instead.`);
        location = { kind: snapshot.kind, assetPath: fallback };
        present = await listAssetBlobs(container, location, signal);
    }
    else if (await isCompleteAzureAiMlUpload(container, snapshot, location, present, signal, logger)) {
        logger.info(`${location.assetPath} is already uploaded by azure-ai-ml (same content: its upload is complete, with the same ` +
            'paths and sizes); nothing to send.');
        await writeJson(container, recordBlobName(snapshot), buildCompletionRecord(snapshot, location.assetPath, new Date()), signal);
        if (lineage !== null)
            await rememberUpload(container, lineage, snapshot, signal, logger);
        return nothingSent(location.assetPath, true);
    }
    const pending = snapshot.files.filter((file) => {
        const state = present.get(blobNameOf(location, file));
        return !(state && state.size === file.size && state.sha256 === file.sha256);
    });
    const filesSkipped = snapshot.files.length - pending.length;
    // Files already in place under another name of this asset are sources too (duplicate files).
    for (const [blobName, state] of present) {
        if (state.sha256 && !copySources.has(state.sha256))
            copySources.set(state.sha256, blobName);
    }
    const toCopy = pending.filter((file) => copySources.has(file.sha256));
    const toSend = pending.filter((file) => !copySources.has(file.sha256));
    // Largest first: big files start early and thousands of small ones fill the gaps at the end.
    toSend.sort((a, b) => b.size - a.size);
    const progress = new ProgressReporter(logger, options, {
        bytesToSend: toSend.reduce((sum, file) => sum + file.size, 0),
        fileCount: snapshot.files.length,
        filesDone: filesSkipped,
    });
    logger.info(`Uploading ${location.assetPath}: ${snapshot.files.length} files, ${formatBytes(snapshot.totalBytes)}; ` +
        `${filesSkipped} already there, ${toCopy.length} copied from an earlier upload, ` +
        `${toSend.length} to send (${formatBytes(progress.bytesToSend)}).`);
    const blockSize = options.blockSize ?? 8 * upload_MiB;
    // Small files get their own share of the memory budget: otherwise a few large files' blocks take
    // all of it and thousands of small files wait behind them (measured: the folder mix got slower).
    const maxBuffered = Math.max(options.maxBufferedBytes ?? 64 * upload_MiB, blockSize + SMALL_FILE_BYTES);
    const smallFileBudget = new BufferBudget(Math.min(16 * upload_MiB, Math.floor(maxBuffered / 4)), 0);
    const largeFileBudget = new BufferBudget(maxBuffered - smallFileBudget.limitBytes, blockSize);
    const filesInFlight = options.filesInFlight ?? 16;
    let bytesUploaded = 0;
    let filesUploaded = 0;
    let filesCopied = 0;
    const send = async (file) => {
        const blobName = blobNameOf(location, file);
        await sendFile(container.getBlockBlobClient(blobName), { localPath: localPathOf(snapshot, file), blobName, size: file.size, sha256: file.sha256 }, {
            blockSize,
            singlePutMaxBytes: options.singlePutMaxBytes ?? 256 * upload_MiB,
            blocksInFlightPerFile: options.blocksInFlightPerFile ?? 4,
            budget: file.size <= SMALL_FILE_BYTES ? smallFileBudget : largeFileBudget,
            signal,
            onBytesSent: (bytes) => {
                bytesUploaded += bytes;
                progress.bytesSent(bytes);
            },
        });
        filesUploaded++;
    };
    const copiedFiles = new Set();
    let copyRefusal;
    const work = [...toCopy.map((file) => ({ file, copy: true })), ...toSend.map((file) => ({ file, copy: false }))];
    await forEachLimited(work, filesInFlight, signal, async ({ file, copy }) => {
        if (copy && copyRefusal === undefined) {
            const target = container.getBlockBlobClient(blobNameOf(location, file));
            const { outcome, reason } = await copyBlob(container, target, copySources.get(file.sha256), signal);
            if (outcome === 'copied') {
                copiedFiles.add(file);
                filesCopied++;
                progress.fileDone();
                return;
            }
            if (outcome === 'refused' && copyRefusal === undefined) {
                copyRefusal = reason;
                logger.warning(`The storage account refused a server-side copy (${reason}); sending the remaining files instead ` +
                    'of copying them. A storage account that restricts copy sources (AllowedCopyScope) can cause this.');
            }
        }
        if (copy)
            progress.bytesToSend += file.size;
        await send(file);
        progress.fileDone();
    });
    // A copy carries its source's metadata: a source overwritten since its upload was recorded shows
    // up here as a wrong SHA-256 and is sent from disk instead (once; a second mismatch is a failure).
    // Without copies there is nothing to list: skipped blobs were checked by the first listing, and a
    // sent blob is acknowledged by the service with the metadata and bytes re-hashed as they left.
    const wrongAfterTransfer = copiedFiles.size > 0 ? await filesNotInPlace(container, snapshot, location, signal) : [];
    if (wrongAfterTransfer.length > 0) {
        logger.warning(`${wrongAfterTransfer.length} blob(s) did not have the expected size or SHA-256 after the transfer (a copy ` +
            'source changed since its upload completed, or another writer); sending those files from disk.');
        for (const file of wrongAfterTransfer)
            progress.bytesToSend += file.size;
        await forEachLimited(wrongAfterTransfer, filesInFlight, signal, async (file) => {
            if (copiedFiles.delete(file))
                filesCopied--;
            await send(file);
        });
        await verifyAsset(container, snapshot, location, signal);
    }
    // azure-ai-ml's completion marker first: should this step stop before its own record, a rerun finds
    // the folder complete by that marker and sends nothing.
    if (atAzureAiMlKey)
        await markCompleteForAzureAiMl(container, snapshot, location, options.linkedAsset, signal);
    const completion = buildCompletionRecord(snapshot, location.assetPath, new Date());
    await writeJson(container, recordBlobName(snapshot), completion, signal);
    if (lineage !== null)
        await rememberUpload(container, lineage, snapshot, signal, logger);
    progress.finish();
    return {
        ...describeAt(location.assetPath),
        bytesUploaded,
        filesUploaded,
        filesCopied,
        filesSkipped,
        reused: false,
        reusedAzureAiMlUpload: false,
        durationMs: Date.now() - started,
    };
}
/** Azure's limit on blob names, in characters. */
const MAX_BLOB_NAME_LENGTH = 1024;
/** Refuses what the service or Azure ML would refuse later, with the path the user can act on. */
function assertUploadable(snapshot) {
    if (snapshot.name === RECORD_FOLDER) {
        throw new errors/* UserError */.yo(`A file or folder named '${RECORD_FOLDER}' cannot be uploaded: the name is reserved.`);
    }
    if (snapshot.files.length === 0) {
        const reason = snapshot.ignoreFile ? ` (after applying ${snapshot.ignoreFile} and the ignore patterns)` : '';
        throw new errors/* UserError */.yo(`The folder '${snapshot.localPath}' has no files to upload${reason}; Azure ML refuses empty assets.`);
    }
    // Every key has 32 characters: the content-hash path has the length of any.
    const anyLocation = { kind: snapshot.kind, assetPath: contentHashAssetPath(snapshot) };
    const tooLong = snapshot.files.find((file) => blobNameOf(anyLocation, file).length > MAX_BLOB_NAME_LENGTH);
    if (tooLong) {
        throw new errors/* UserError */.yo(`The path '${tooLong.relPath}' is too long for Azure Blob Storage: with the upload prefix it exceeds ` +
            `${MAX_BLOB_NAME_LENGTH} characters. Shorten it or exclude it with .amlignore.`);
    }
}
/** Blobs already under the asset's path, with the SHA-256 each one's metadata claims. */
async function listAssetBlobs(container, location, signal) {
    const present = new Map();
    const stateOf = (size, metadata, md5) => ({
        size: size ?? -1,
        sha256: metadata?.[SHA256_METADATA_KEY],
        contentMd5: md5 && md5.length > 0 ? Buffer.from(md5).toString('base64') : undefined,
        metadata: metadata ?? {},
    });
    if (location.kind === 'file') {
        try {
            const properties = await container.getBlobClient(location.assetPath).getProperties({ abortSignal: signal });
            present.set(location.assetPath, stateOf(properties.contentLength, properties.metadata, properties.contentMD5));
        }
        catch (error) {
            if (statusOf(error) !== 404)
                throw error;
        }
        return present;
    }
    for await (const item of container.listBlobsFlat({
        prefix: `${location.assetPath}/`,
        includeMetadata: true,
        abortSignal: signal,
    })) {
        present.set(item.name, stateOf(item.properties.contentLength, item.metadata, item.properties.contentMD5));
    }
    return present;
}
/**
 * azure-ai-ml's upload of this content is complete: its indicator blob says `upload_status=completed`
 * and the folder holds exactly the snapshot's paths with their sizes (the caller checked there is
 * nothing else), and every blob whose Content-MD5 the service stored has the local file's MD5. Those
 * blobs then get our `sha256` metadata (added to theirs), so later uploads can copy from them.
 */
async function isCompleteAzureAiMlUpload(container, snapshot, location, present, signal, logger) {
    const indicator = present.get(blobNameOf(location, azureAiMlIndicatorFile(snapshot)));
    if (!isCompletedUploadMetadata(indicator?.metadata))
        return false;
    const sized = snapshot.files.every((file) => present.get(blobNameOf(location, file))?.size === file.size);
    if (!sized)
        return false;
    const verified = [];
    let mismatch;
    await forEachLimited(snapshot.files, 4, signal, async (file) => {
        const state = present.get(blobNameOf(location, file));
        if (state.contentMd5 === undefined || state.sha256 === file.sha256)
            return;
        if ((await contentMd5Of(snapshot, file, signal)) === state.contentMd5)
            verified.push(file);
        else
            mismatch ??= file;
    });
    if (mismatch) {
        logger.warning(`${location.assetPath} is marked complete by azure-ai-ml, but '${mismatch.relPath}' there has other bytes ` +
            'than the local file (Content-MD5); sending the files again.');
        return false;
    }
    await forEachLimited(verified, 8, signal, async (file) => {
        const blobName = blobNameOf(location, file);
        const metadata = { ...present.get(blobName).metadata, [SHA256_METADATA_KEY]: file.sha256 };
        await container.getBlobClient(blobName).setMetadata(metadata, { abortSignal: signal });
    });
    return true;
}
/**
 * Marks the upload complete the way azure-ai-ml does (`upload_status=completed`, `name`, `version` on
 * its indicator blob), keeping the blob's `sha256`: azure-ai-ml then finds this content uploaded.
 */
async function markCompleteForAzureAiMl(container, snapshot, location, linkedAsset, signal) {
    const indicator = azureAiMlIndicatorFile(snapshot);
    const asset = {
        name: linkedAsset?.name ?? (0,external_node_crypto_.randomUUID)(),
        version: linkedAsset ? (linkedAsset.version ?? (0,external_node_crypto_.randomUUID)()) : '1',
    };
    await container
        .getBlobClient(blobNameOf(location, indicator))
        .setMetadata({ [SHA256_METADATA_KEY]: indicator.sha256, ...completedUploadMetadata(asset) }, { abortSignal: signal });
}
/**
 * Blobs of earlier uploads that hold a SHA-256 this snapshot needs: the completion records of the
 * given previous content hashes and of the lineage's recent uploads.
 */
async function findCopySources(container, snapshot, options, lineage, signal) {
    const previous = new Set(options.previousContentHashes ?? []);
    if (lineage !== null)
        for (const hash of await recentUploads(container, lineage, signal))
            previous.add(hash);
    previous.delete(snapshot.contentHash);
    const sources = new Map();
    await collectCopySources(container, previous, sources, signal, options.logger);
    return sources;
}
/**
 * Reads the completion records of earlier uploads and maps each SHA-256 they hold to one blob.
 * Only completed uploads are used: their blobs were verified before the record was written.
 */
async function collectCopySources(container, contentHashes, sources, signal, logger) {
    for (const contentHash of contentHashes) {
        if (!/^[0-9a-f]{32}([0-9a-f]{32})?$/.test(contentHash)) {
            logger.warning(`Ignoring '${contentHash}' as a previous content hash: expected 32 or 64 hex characters.`);
            continue;
        }
        for await (const item of container.listBlobsFlat({ prefix: recordFolderOf(contentHash), abortSignal: signal })) {
            const text = await readText(container, item.name, signal);
            const record = text === undefined ? undefined : parseCompletionRecord(text);
            if (!record || !record.contentHash.startsWith(contentHash))
                continue;
            for (const file of record.files) {
                if (!sources.has(file.sha256))
                    sources.set(file.sha256, blobNameOf(record, { relPath: file.path }));
            }
        }
    }
}
/**
 * Server-side Copy Blob inside the same account: the service reads the source itself, so no file
 * bytes cross the network, and the request's own credential (key or Entra token) authorises the
 * source. 'source-gone': that one source is missing or unusable, send the file. 'refused': the
 * service will not copy for this caller (policy such as AllowedCopyScope, or a credential that
 * cannot authorise the source): stop trying copies for this upload.
 */
async function copyBlob(container, target, sourceName, signal) {
    const sourceUrl = container.getBlobClient(sourceName).url;
    try {
        // No metadata given: the copy keeps the source's, whose sha256 verification then checks.
        const poller = await target.beginCopyFromURL(sourceUrl, {
            abortSignal: signal,
            intervalInMs: 250,
        });
        const done = await poller.pollUntilDone();
        const copied = done.copyStatus === undefined || done.copyStatus === 'success';
        return { outcome: copied ? 'copied' : 'source-gone' };
    }
    catch (error) {
        if (signal?.aborted)
            throw error;
        const status = statusOf(error) ?? 0;
        if (status === 404 || status === 409 || status === 412)
            return { outcome: 'source-gone' };
        if (status >= 400 && status < 500) {
            return { outcome: 'refused', reason: `${storageErrorCode(error) || `HTTP ${status}`}` };
        }
        throw error;
    }
}
/** Files of the asset whose blob is missing or has another size or SHA-256 metadata than the local file. */
async function filesNotInPlace(container, snapshot, location, signal) {
    const present = await listAssetBlobs(container, location, signal);
    return snapshot.files.filter((file) => {
        const state = present.get(blobNameOf(location, file));
        return !(state && state.size === file.size && state.sha256 === file.sha256);
    });
}
/** Checks every file of the asset is present with its size and SHA-256 before the record is written. */
async function verifyAsset(container, snapshot, location, signal) {
    const wrong = await filesNotInPlace(container, snapshot, location, signal);
    if (wrong.length > 0) {
        const names = wrong
            .slice(0, 5)
            .map((file) => `'${file.relPath}'`)
            .join(', ');
        throw new Error(`After the upload ${wrong.length} blob(s) of ${location.assetPath} are missing or have another size or ` +
            `SHA-256 than the local file: ${names}${wrong.length > 5 ? ', ...' : ''}. The upload is not marked complete.`);
    }
}
async function recentUploads(container, lineage, signal) {
    const text = await readText(container, lineageBlobName(lineage), signal);
    const index = text === undefined ? undefined : parseLineageIndex(text);
    return index ? index.recent.map((entry) => entry.contentHash) : [];
}
/**
 * Puts this upload first in its lineage index. Losing a race with another run only drops a hint
 * (a later upload may copy less), so a failure here is a warning, never a failed upload.
 */
async function rememberUpload(container, lineage, snapshot, signal, logger) {
    try {
        const name = lineageBlobName(lineage);
        const text = await readText(container, name, signal);
        const index = (text === undefined ? undefined : parseLineageIndex(text)) ?? { format: LINEAGE_FORMAT, recent: [] };
        if (index.recent[0]?.contentHash === snapshot.contentHash)
            return;
        const updated = {
            format: LINEAGE_FORMAT,
            recent: [
                {
                    contentHash: snapshot.contentHash,
                    name: snapshot.name,
                    kind: snapshot.kind,
                    completedAt: new Date().toISOString(),
                },
                ...index.recent.filter((entry) => entry.contentHash !== snapshot.contentHash),
            ].slice(0, LINEAGE_KEEP),
        };
        await writeJson(container, name, updated, signal);
    }
    catch (error) {
        if (signal?.aborted)
            throw error;
        logger.warning(`Could not update the upload lineage index (${describe(error)}); the upload itself is complete.`);
    }
}
async function readText(container, blobName, signal) {
    try {
        const buffer = await container.getBlobClient(blobName).downloadToBuffer(0, undefined, { abortSignal: signal });
        return buffer.toString('utf8');
    }
    catch (error) {
        if (statusOf(error) === 404)
            return undefined;
        throw error;
    }
}
async function writeJson(container, blobName, value, signal) {
    const body = Buffer.from(`${JSON.stringify(value, null, 1)}\n`);
    await container.getBlockBlobClient(blobName).upload(body, body.length, {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        abortSignal: signal,
    });
}
function statusOf(error) {
    return typeof error === 'object' && error !== null ? error.statusCode : undefined;
}
/** The service's error code: in the body for most requests, only in a header for GET/HEAD of a blob. */
function storageErrorCode(error) {
    const details = error;
    return (details.details?.errorCode ??
        details.response?.headers?.get('x-ms-error-code') ??
        (details.code && details.code !== 'REQUEST_SEND_ERROR' ? details.code : ''));
}
function describe(error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
/** What Node calls a connection that failed (the storage SDK has retried it already when it reaches us). */
const CONNECTION_FAILURE = /\b(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|socket hang up)\b/;
/**
 * Storage answers 403 for a wrong key or expired token, for an identity without a data role, and
 * for network rules; the error code tells which. A connection that keeps failing is the network's,
 * not a bug. Messages never include request URLs (a SAS may be in them).
 */
function explainStorageError(error) {
    const connection = statusOf(error) === undefined ? CONNECTION_FAILURE.exec(describe(error))?.[1] : undefined;
    if (connection) {
        return new errors/* UserError */.yo(`The upload to the datastore's storage account failed: the connection failed (${connection}) on every retry, ` +
            'so the upload is incomplete and nothing was made from it. Run the step again (files already uploaded are not ' +
            'sent again); if it keeps failing, check the network between the runner and the storage account (proxy, firewall).', { cause: error });
    }
    if (statusOf(error) !== 403)
        return error;
    const code = storageErrorCode(error);
    if (code === 'AuthorizationPermissionMismatch') {
        return new errors/* UserError */.yo(`The datastore's storage account refused the upload (${code}): the identity running this step has no ` +
            "data role on it. An identity-based datastore needs 'Storage Blob Data Contributor' on the storage " +
            'account or the container (Reader or Contributor on the account is not enough: they do not grant data access).', { cause: error });
    }
    if (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo' || code === '') {
        return new errors/* UserError */.yo(`The datastore's storage account refused the credentials (${code || 'HTTP 403'}): the account key or ` +
            'token is invalid or expired, or the clock of the runner is off.', { cause: error });
    }
    return new errors/* UserError */.yo(`The datastore's storage account refused the request (${code}). Check the storage account's network rules ` +
        '(firewall, private endpoints: the runner must be allowed), the permissions of a SAS if one is used, and ' +
        "for an identity-based datastore the 'Storage Blob Data Contributor' role.", { cause: error });
}
/** Logs bytes, files and rate at most once per interval, and always once at the end. */
class ProgressReporter {
    logger;
    options;
    totals;
    sent = 0;
    filesDone;
    started = Date.now();
    lastLine = Date.now();
    bytesToSend;
    constructor(logger, options, totals) {
        this.logger = logger;
        this.options = options;
        this.totals = totals;
        this.bytesToSend = totals.bytesToSend;
        this.filesDone = totals.filesDone;
    }
    bytesSent(bytes) {
        this.sent += bytes;
        this.update();
    }
    fileDone() {
        this.filesDone++;
        this.update();
    }
    finish() {
        this.logger.info(this.line());
    }
    update() {
        const now = Date.now();
        this.options.onProgress?.({
            bytesSent: this.sent,
            bytesToSend: this.bytesToSend,
            filesDone: this.filesDone,
            fileCount: this.totals.fileCount,
            elapsedMs: now - this.started,
        });
        if (now - this.lastLine >= (this.options.progressIntervalMs ?? 5000)) {
            this.lastLine = now;
            this.logger.info(this.line());
        }
    }
    line() {
        const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
        return (`Uploaded ${formatBytes(this.sent)} of ${formatBytes(this.bytesToSend)}, ` +
            `${this.filesDone}/${this.totals.fileCount} files, ${formatBytes(this.sent / seconds)}/s`);
    }
}
function formatBytes(bytes) {
    if (bytes < 1024)
        return `${Math.round(bytes)} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

;// CONCATENATED MODULE: ./shared/upload/index.ts
// The upload engine's public surface: snapshot a file or folder, upload it content-addressed.
// Callers build the ContainerClient (account key or Entra token); nothing here depends on which.





// EXTERNAL MODULE: ../main/node_modules/@azure/storage-blob/dist/esm/index.js + 157 modules
var dist_esm = __webpack_require__(3982);
// EXTERNAL MODULE: ./shared/azure/cloud.ts
var cloud = __webpack_require__(2633);
;// CONCATENATED MODULE: ./shared/azure/datastore.ts
// Opens a workspace blob datastore for uploads: the one factory for blob clients. Key-based
// datastores use the account key from listSecrets (masked at once); identity-based ones use the
// caller's Entra token for storage, and a missing data role is explained.




const DEFAULT_DATASTORE = 'workspaceblobstore';
/** Datastores already opened by a client, by name: one step reads each datastore and key once. */
const opened = new WeakMap();
function openDatastore(options) {
    const name = options.name ?? DEFAULT_DATASTORE;
    let byName = opened.get(options.client);
    if (!byName)
        opened.set(options.client, (byName = new Map()));
    let datastore = byName.get(name);
    if (!datastore) {
        datastore = datastore_open(options, name);
        byName.set(name, datastore);
        // A failure is not kept: the next caller tries again and gets the error itself.
        datastore.catch(() => byName.delete(name));
    }
    return datastore;
}
async function datastore_open(options, name) {
    const { client, settings, credential, log } = options;
    const datastore = await client.datastores
        .get(settings.resourceGroup, settings.workspace, name)
        .catch((error) => {
        throw explainArmError(error, `reading datastore '${name}' of workspace '${settings.workspace}'`);
    });
    const properties = datastore.properties;
    if (properties.datastoreType !== 'AzureBlob' || !properties.accountName || !properties.containerName) {
        throw new errors/* UserError */.yo(`Datastore '${name}' is a ${properties.datastoreType} datastore; uploads need an Azure Blob datastore.`);
    }
    // The cloud's template sets scheme and host form (path-style for Azurite in the emulator).
    const serviceUrl = (0,cloud/* blobServiceUrl */._t)(settings.cloud, properties.accountName, properties.endpoint ?? settings.cloud.storageSuffix);
    const containerUrl = `${serviceUrl.replace(/\/+$/, '')}/${properties.containerName}`;
    const uriOf = (path) => `azureml://subscriptions/${settings.subscriptionId}/resourcegroups/${settings.resourceGroup}/workspaces/${settings.workspace}/datastores/${name}/paths/${path}`;
    if (properties.credentials.credentialsType === 'AccountKey') {
        const secrets = await client.datastores
            .listSecrets(settings.resourceGroup, settings.workspace, name)
            .catch((error) => {
            throw explainArmError(error, `reading the account key of datastore '${name}'`, "It needs the action 'Microsoft.MachineLearningServices/workspaces/datastores/listsecrets/action' (e.g. 'AzureML Data Scientist').");
        });
        const key = secrets.key;
        if (!key)
            throw new errors/* UserError */.yo(`Datastore '${name}' returned no account key.`);
        log.setSecret(key);
        const container = new dist_esm/* ContainerClient */.bM(containerUrl, new dist_esm/* StorageSharedKeyCredential */.Z3(properties.accountName, key));
        return { name, container, auth: 'key', uriOf };
    }
    // Identity-based (credential-less) datastore: blobs are read and written with the caller's token.
    return { name, container: new dist_esm/* ContainerClient */.bM(containerUrl, credential), auth: 'identity', uriOf };
}

;// CONCATENATED MODULE: ./shared/azure/code.ts
// A local folder of code (a scoring script, a training step) as a registered code asset: uploaded
// as a content-addressed snapshot (unchanged code is not sent again) and registered with its
// content hash, so the same folder always ends on the same code version.




async function registerCodeFolder(options) {
    const { connection, folder, name, log } = options;
    const { client, settings, session } = connection;
    const snapshot = await snapshot_createSnapshot(folder, {
        logger: log,
        ...(options.ignorePatterns ? { ignorePatterns: options.ignorePatterns } : {}),
    });
    const datastore = await openDatastore({ client, settings, credential: session.credential, log });
    const upload = await uploadSnapshot(datastore.container, snapshot, { logger: log });
    const code = await registerVersion({
        store: versionStore(client, settings, 'codes', name),
        version: 'auto',
        contentHash: snapshot.contentHash,
        dedupe: true,
        properties: {
            codeUri: `${datastore.uriOf(upload.assetPath)}/`,
            properties: { [CONTENT_HASH_PROPERTY]: snapshot.contentHash },
        },
        log,
    });
    return {
        name,
        version: code.version,
        codeId: workspaceResourceId(settings, `codes/${name}/versions/${code.version}`),
        contentHash: snapshot.contentHash,
        bytesUploaded: upload.bytesUploaded,
    };
}

// EXTERNAL MODULE: ../main/node_modules/@azure/arm-machinelearning/dist/index.js
var dist = __webpack_require__(6869);
;// CONCATENATED MODULE: ./shared/azure/client.ts
// The one factory for Azure ML's ARM client: custom endpoint and token scope for sovereign clouds
// and the emulator, and our user agent. Poll intervals are set per long-running call (lro.ts).

function createMlClient(settings, credential) {
    return new dist/* AzureMachineLearningWorkspaces */.FQ(credential, settings.subscriptionId, {
        endpoint: settings.cloud.armEndpoint,
        credentialScopes: [settings.cloud.armScope],
        userAgentOptions: { userAgentPrefix: 'azureml-actions' },
    });
}

// EXTERNAL MODULE: ../main/node_modules/@azure/identity/dist/esm/index.js + 167 modules
var identity_dist_esm = __webpack_require__(4547);
;// CONCATENATED MODULE: ./shared/azure/login.ts
// Login for every action: one TokenCredential per auth type. OIDC asks GitHub for a fresh ID token
// each time Entra needs an assertion (long jobs never hit AADSTS700024), every token is masked the
// moment it exists, and a failed login is explained with what to change.


const TOKEN_REUSE_MARGIN_MS = 5 * 60_000;
function createLoginSession(settings, deps) {
    let claims;
    const authority = {
        authorityHost: settings.cloud.authorityHost,
        // Custom clouds (and the emulator) have no instance-discovery endpoint at login.microsoftonline.com.
        ...(settings.cloud.name === 'custom' ? { disableInstanceDiscovery: true } : {}),
    };
    let inner;
    switch (settings.authType) {
        case 'oidc': {
            if (!deps.canRequestIdToken)
                throw missingIdTokenPermission(settings);
            const { tenantId, clientId } = requireApp(settings);
            inner = new identity_dist_esm/* ClientAssertionCredential */.XI(tenantId, clientId, async () => {
                const idToken = await deps.requestIdToken(settings.audience).catch((error) => {
                    throw new errors/* UserError */.yo(`GitHub did not issue an ID token for audience '${settings.audience}': ${error.message}`, { cause: error });
                });
                deps.log.setSecret(idToken);
                claims = decodeJwtClaims(idToken);
                return idToken;
            }, authority);
            break;
        }
        case 'secret': {
            const { tenantId, clientId } = requireApp(settings);
            if (!settings.clientSecret)
                throw new errors/* UserError */.yo("auth-type 'secret' needs 'client-secret' (or AZURE_CLIENT_SECRET).", {
                    input: 'client-secret',
                });
            deps.log.warning('Logging in with a client secret. Prefer OIDC (federated credentials): no secret to store, rotate or leak.');
            inner = new identity_dist_esm/* ClientSecretCredential */.HC(tenantId, clientId, settings.clientSecret, authority);
            break;
        }
        case 'azure-cli':
            inner = new identity_dist_esm/* AzureCliCredential */.nG(settings.tenantId ? { tenantId: settings.tenantId } : {});
            break;
    }
    // Access tokens are kept per scope until 5 minutes before they expire: MSAL calls the assertion
    // callback on every request even when it holds a token, which would cost a GitHub ID-token
    // request (and a new secret to mask) per ARM call.
    const cache = new Map();
    const credential = {
        async getToken(scopes, options) {
            const key = [scopes].flat().join(' ');
            const cached = cache.get(key);
            if (cached && !options?.claims && cached.expiresOnTimestamp - Date.now() > TOKEN_REUSE_MARGIN_MS)
                return cached;
            const token = await inner.getToken(scopes, options);
            if (token) {
                deps.log.setSecret(token.token);
                cache.set(key, token);
            }
            return token;
        },
    };
    return { credential, settings, lastIdTokenClaims: () => claims };
}
/** Gets an ARM token once, so a login problem is reported as one before any other request. */
async function checkLogin(session, log) {
    const { settings } = session;
    try {
        await session.credential.getToken(settings.cloud.armScope);
    }
    catch (error) {
        throw explainLoginFailure(error, session);
    }
    const claims = session.lastIdTokenClaims();
    const who = settings.authType === 'oidc' ? ` as ${String(claims?.sub ?? 'the GitHub workflow')}` : '';
    log.info(`Logged in to ${settings.cloud.name} with ${settings.authType}${who} (client ${settings.clientId ?? 'from the Azure CLI'}).`);
}
function requireApp(settings) {
    if (!settings.tenantId)
        throw new errors/* UserError */.yo(`auth-type '${settings.authType}' needs 'tenant-id' (or AZURE_TENANT_ID).`, {
            input: 'tenant-id',
        });
    if (!settings.clientId)
        throw new errors/* UserError */.yo(`auth-type '${settings.authType}' needs 'client-id' (or AZURE_CLIENT_ID).`, {
            input: 'client-id',
        });
    return { tenantId: settings.tenantId, clientId: settings.clientId };
}
function missingIdTokenPermission(settings) {
    const how = settings.authTypeWasAuto ? '' : " (auth-type is 'oidc')";
    return new errors/* UserError */.yo(`This job cannot request a GitHub ID token${how}: add 'permissions: id-token: write' to the workflow or job ` +
        '(and keep contents: read). Pull requests from forks never get ID tokens; use pull_request_target with care, ' +
        "or auth-type 'secret' there.", { input: 'auth-type' });
}
/** Decodes a JWT's claims without verifying it: only to explain which subject was presented. */
function decodeJwtClaims(jwt) {
    const payload = jwt.split('.')[1];
    if (!payload)
        return undefined;
    try {
        return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    }
    catch {
        return undefined;
    }
}
const SUBJECT_FORMATS = [
    'repo:OWNER/REPO:ref:refs/heads/BRANCH  (push to a branch)',
    'repo:OWNER/REPO:ref:refs/tags/TAG      (tag)',
    'repo:OWNER/REPO:environment:NAME       (job with environment: NAME; replaces the ref subject)',
    'repo:OWNER/REPO:pull_request           (pull_request events)',
];
/** Turns an Entra failure into a paragraph that says what to change. */
function explainLoginFailure(error, session) {
    if (error instanceof errors/* UserError */.yo)
        return error;
    const message = error instanceof Error ? error.message : String(error);
    const code = /AADSTS(\d+)/.exec(message)?.[1];
    const { settings } = session;
    const claims = session.lastIdTokenClaims();
    const presented = claims
        ? ` This run presented subject '${String(claims.sub)}', audience '${String(Array.isArray(claims.aud) ? claims.aud.join(',') : claims.aud)}', issuer '${String(claims.iss)}'` +
            `${claims.environment ? `, environment '${String(claims.environment)}'` : ''}${claims.ref ? `, ref '${String(claims.ref)}'` : ''}.`
        : '';
    const app = `app ${settings.clientId ?? '?'} in tenant ${settings.tenantId ?? '?'}`;
    const entraSays = ` Entra said: ${firstLine(message)}`;
    const explain = (text) => new errors/* UserError */.yo(text + entraSays, { cause: error });
    switch (code) {
        case '700213':
        case '7002138':
        case '70021':
            return explain(`Login failed: no federated credential of ${app} matches this workflow.${presented} ` +
                `Add a federated credential whose subject is exactly that (case-sensitive). Subject formats: ${SUBJECT_FORMATS.join('; ')}.`);
        case '700212':
            return explain(`Login failed: the federated credentials of ${app} do not accept the audience '${settings.audience}'.${presented} ` +
                "Set the 'audience' input to the audience of the federated credential (default api://AzureADTokenExchange).");
        case '700211':
            return explain(`Login failed: no federated credential of ${app} trusts the issuer of GitHub's token.${presented} ` +
                'The issuer must be https://token.actions.githubusercontent.com (or your enterprise issuer).');
        case '700024':
            return explain(`Login failed: the GitHub ID token had expired when Entra received it.${presented} Check the runner's clock.`);
        case '7000215':
            return explain(`Login failed: the client secret is not valid for ${app}. Check 'client-secret' (or switch to OIDC).`);
        case '7000222':
            return explain(`Login failed: the client secret of ${app} has expired. Create a new one (or switch to OIDC, which has no secret).`);
        case '90002':
            return explain(`Login failed: tenant '${settings.tenantId ?? ''}' was not found. Check 'tenant-id' (AZURE_TENANT_ID).`);
        case '700016':
            return explain(`Login failed: no application '${settings.clientId ?? ''}' exists in tenant ${settings.tenantId ?? '?'}. Check 'client-id' and 'tenant-id'.`);
        default:
            if (message.includes('endpoints_resolution_error')) {
                return new errors/* UserError */.yo(`Login failed: ${settings.cloud.authorityHost} has no tenant '${settings.tenantId ?? ''}' (its OpenID configuration could not be read). ` +
                    "Check 'tenant-id' (AZURE_TENANT_ID) and, for a custom cloud, 'authority-host'.", { cause: error });
            }
            if (settings.authType === 'azure-cli') {
                return new errors/* UserError */.yo(`Login with the Azure CLI failed: run azure/login (or 'az login') in an earlier step, or use OIDC. ${firstLine(message)}`, { cause: error });
            }
            return explain(`Login to ${settings.cloud.authorityHost} as ${app} with ${settings.authType} failed.${presented}`);
    }
}
/** What Entra said, from its AADSTS code to the end of that sentence (MSAL wraps it in other text). */
function firstLine(message) {
    const aadsts = /AADSTS\d+:.*?(?:\.(?=\s)|$)/s.exec(message)?.[0];
    return (aadsts ?? message.split(/\r?\n/)[0] ?? '').replace(/\s+/g, ' ').slice(0, 400);
}

;// CONCATENATED MODULE: ./shared/azure/preflight.ts
// The pre-flight every action runs before its first change: log in, read the workspace, and check
// the caller's permissions on it (Microsoft.Authorization/permissions) against what this step will
// do, so a missing role fails in seconds with the action and a role that grants it, not halfway.





async function preflight(options) {
    const { session, client, log, required } = options;
    const { settings } = session;
    await checkLogin(session, log);
    let workspace;
    try {
        workspace = await client.workspaces.get(settings.resourceGroup, settings.workspace);
    }
    catch (error) {
        const status = armErrorDetails(error).status;
        const where = `workspace '${settings.workspace}' in resource group '${settings.resourceGroup}' of subscription ${settings.subscriptionId}`;
        if (status === 404) {
            throw explainArmError(error, `reading the ${where}`, "Check 'workspace', 'resource-group' and 'subscription-id' (or their AZURE_* variables).");
        }
        if (status === 403) {
            // ARM answers 403 (not 404) for a workspace outside the caller's role assignments, existing or not.
            throw explainArmError(error, `reading the ${where}`, "Either no workspace exists there (check 'workspace', 'resource-group' and 'subscription-id'), or the identity " +
                `(client ${settings.clientId ?? 'from the Azure CLI'}) has no role on it: grant 'AzureML Data Scientist' on the workspace ('Reader' to only read).`);
        }
        throw explainArmError(error, `reading the ${where}`);
    }
    const permissions = await listPermissions(client, settings.cloud.armEndpoint, workspaceId(settings), log);
    if (permissions !== undefined) {
        const missing = required.filter((r) => !isAllowed(permissions, r.action));
        if (missing.length > 0) {
            const lines = missing.map((m) => `${m.action} (to ${m.purpose}; granted by ${roleFor(m.action)})`);
            throw new errors/* UserError */.yo(`The identity this step logs in as (client ${settings.clientId ?? 'from the Azure CLI'}) cannot do everything this step needs on ` +
                `workspace '${settings.workspace}', so nothing was changed. Missing: ${lines.join('; ')}. ` +
                'Assign the role on the workspace (or its resource group) and run again.');
        }
    }
    return workspace;
}
/** The caller's permissions on a scope; undefined (with a warning) when ARM does not say. */
async function listPermissions(client, armEndpoint, scope, log) {
    const url = `${armEndpoint}${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
    try {
        const response = await client.sendRequest((0,esm/* createPipelineRequest */.G6)({ url, method: 'GET' }));
        if (response.status !== 200 || !response.bodyAsText) {
            log.warning(`Could not list this identity's permissions on the workspace (HTTP ${response.status}); the pre-flight check is skipped.`);
            return undefined;
        }
        const body = JSON.parse(response.bodyAsText);
        return (body.value ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [] }));
    }
    catch (error) {
        log.warning(`Could not list this identity's permissions on the workspace (${error.message}); the pre-flight check is skipped.`);
        return undefined;
    }
}
/** True when some role assignment allows `action` and does not exclude it (ARM's evaluation). */
function isAllowed(permissions, action) {
    return permissions.some((p) => p.actions.some((pattern) => actionPatternMatches(pattern, action)) &&
        !p.notActions.some((pattern) => actionPatternMatches(pattern, action)));
}
/**
 * ARM's action wildcards: case-insensitive, `*` matches any characters, and a `/*\/` segment also
 * matches nothing (so `computes/*\/write` covers `computes/write`, as the AzureML roles rely on).
 */
function actionPatternMatches(pattern, action) {
    const escaped = pattern
        .toLowerCase()
        .split('*')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
    const source = escaped.join('.*').replace(/\/\.\*\//g, '(?:/.*/|/)');
    return new RegExp(`^${source}$`).test(action.toLowerCase());
}
/** A built-in role that grants `action` on a workspace, least privilege first. */
function roleFor(action) {
    const lower = action.toLowerCase();
    if (lower.endsWith('/read'))
        return "'Reader'";
    if (lower.includes('/computes/'))
        return "'AzureML Compute Operator' (or 'Contributor'; 'AzureML Data Scientist' cannot create compute)";
    if (lower.startsWith('microsoft.machinelearningservices/workspaces/'))
        return "'AzureML Data Scientist' (or 'Contributor')";
    return "'Contributor'";
}

;// CONCATENATED MODULE: ./shared/azure/connect.ts
// What every action does before its first change, in one call: log in, make the ARM client, read
// the workspace and check this step's permissions on it (see preflight.ts).



/** The login session and ARM client of a step, without the pre-flight (post steps that only clean up). */
function openClient(context, settings) {
    const canRequestIdToken = Boolean(context.inputs.env('ACTIONS_ID_TOKEN_REQUEST_URL') && context.inputs.env('ACTIONS_ID_TOKEN_REQUEST_TOKEN'));
    const session = createLoginSession(settings, {
        log: context.log,
        requestIdToken: context.requestIdToken,
        canRequestIdToken,
    });
    return { session, client: createMlClient(settings, session.credential) };
}
async function connectToWorkspace(context, settings, required) {
    const { session, client } = openClient(context, settings);
    const workspace = await context.log.group(`Log in and check access to workspace ${settings.workspace}`, () => preflight({ session, client, log: context.log, required }));
    return { session, client, workspace, settings };
}

// EXTERNAL MODULE: ./shared/inputs/duration.ts
var duration = __webpack_require__(2970);
;// CONCATENATED MODULE: ./shared/azure/lro.ts
// The one way the actions wait for Azure's long-running operations (endpoints, deployments,
// computes): progress lines with elapsed time, a timeout that names what did not finish, and the
// service's own error when provisioning fails.



/** Poll interval for begin* calls: Azure's Retry-After wins when it sends one. */
const POLL_INTERVAL_MS = 5000;
/**
 * waitForOperation polls by itself, quickly first, then every POLL_INTERVAL_MS: many operations
 * (traffic updates, compute scaling, schedules, cancels) end within a second or two, and a fixed
 * 5 s interval made each of them cost 5 s. A deployment that takes minutes costs a few extra polls.
 */
const POLL_BACKOFF_MS = [500, 1000, 2000, 3000, POLL_INTERVAL_MS];
async function waitForOperation(start, options) {
    const { log, what, timeoutMs } = options;
    const started = Date.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    let poller;
    try {
        poller = await start();
    }
    catch (error) {
        // The SDK's begin* polls once: an operation that failed at once fails here.
        throw operationFailure(error, what, started);
    }
    const progress = setInterval(() => {
        log.info(`${what}: still running, ${(0,duration/* formatDuration */.a)(Date.now() - started)} so far`);
    }, options.progressEveryMs ?? 15_000);
    try {
        if (poller.poll && poller.isDone) {
            for (let attempt = 0; !poller.isDone(); attempt++) {
                await delay(POLL_BACKOFF_MS[Math.min(attempt, POLL_BACKOFF_MS.length - 1)] ?? POLL_INTERVAL_MS, timeout);
                await poller.poll({ abortSignal: timeout });
            }
        }
        // Done (or a poller without poll/isDone): answers the result, or throws the operation's error.
        const result = await poller.pollUntilDone({ abortSignal: timeout });
        log.info(`${what}: done in ${(0,duration/* formatDuration */.a)(Date.now() - started)}.`);
        return result;
    }
    catch (error) {
        if (timeout.aborted) {
            throw new errors/* UserError */.yo(`${what} did not finish within ${(0,duration/* formatDuration */.a)(timeoutMs)}; raise 'timeout' or check the resource in Azure.`);
        }
        throw operationFailure(error, what, started);
    }
    finally {
        clearInterval(progress);
    }
}
/** ARM's error explained, or an operation that ended Failed (core-lro's plain Error) as a user error. */
function operationFailure(error, what, started) {
    const explained = explainArmError(error, what);
    if (explained instanceof errors/* UserError */.yo)
        return explained;
    const bug = error instanceof TypeError || error instanceof ReferenceError || error instanceof RangeError;
    if (!(error instanceof Error) || bug)
        return explained;
    // A provisioning that ended in Failed: the SDK's error carries the service's message.
    return new errors/* UserError */.yo(`${what} failed after ${(0,duration/* formatDuration */.a)(Date.now() - started)}: ${error.message}`, {
        cause: error,
    });
}
/**
 * While an online endpoint or one of its deployments is in a non-terminal state, ARM answers 409 to
 * other changes (DESIGN.md): wait and try again, saying so, instead of failing the step.
 */
async function retryWhileBusy(log, work, options = {}) {
    const attempts = options.attempts ?? 60;
    const waitMs = options.waitMs ?? 10_000;
    for (let attempt = 1;; attempt++) {
        try {
            return await work();
        }
        catch (error) {
            const conflict = isConflict(error) || isConflict(error.cause);
            if (!conflict || attempt >= attempts)
                throw error;
            log.info(`The endpoint is busy with another operation; waiting ${formatDuration(waitMs)} before trying again.`);
            await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
    }
}
/** Waits `ms`, or rejects as soon as `signal` aborts (the step's timeout). */
function delay(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal.aborted)
            return reject(signal.reason);
        const timer = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
    });
}

;// CONCATENATED MODULE: ./action-pipeline/src/compute.ts
// `create-compute`: create an AmlCompute cluster or bring an existing one to the requested scale,
// idempotently (an unchanged cluster is left alone) and never shrinking it silently: lowering
// max-nodes below what the cluster has is refused with the way to do it on purpose.




async function ensureCompute(context, { client, settings }, wanted, timeoutMs) {
    const { resourceGroup: rg, workspace: ws } = settings;
    const target = {
        vmSize: wanted.vmSize,
        vmPriority: wanted.tier === 'low-priority' ? 'LowPriority' : 'Dedicated',
        minNodes: wanted.minNodes,
        maxNodes: wanted.maxNodes,
        idleSeconds: Math.round(wanted.idleTimeBeforeScaleDownMs / 1000),
    };
    const existing = await client.computeOperations.get(rg, ws, wanted.name).catch((error) => {
        if (isNotFound(error))
            return undefined;
        throw explainArmError(error, `reading compute ${wanted.name}`);
    });
    if (target.minNodes > 0) {
        context.log.warning(`Compute ${wanted.name} keeps ${target.minNodes} node(s) running when idle (min-nodes ${target.minNodes}): they are charged even when no job runs. Use min-nodes: 0 to scale to zero.`);
    }
    if (!existing) {
        const body = {
            location: undefined,
            properties: {
                computeType: 'AmlCompute',
                description: 'Created by azureml-actions/action-pipeline',
                properties: {
                    vmSize: target.vmSize,
                    vmPriority: target.vmPriority,
                    scaleSettings: {
                        minNodeCount: target.minNodes,
                        maxNodeCount: target.maxNodes,
                        nodeIdleTimeBeforeScaleDown: `PT${target.idleSeconds}S`,
                    },
                },
            },
        };
        await waitForOperation(() => client.computeOperations.beginCreateOrUpdate(rg, ws, wanted.name, body, {
            updateIntervalInMs: POLL_INTERVAL_MS,
        }), { log: context.log, what: `Creating compute cluster ${wanted.name}`, timeoutMs });
        return { name: wanted.name, change: 'created', detail: compute_describe(target) };
    }
    const current = shapeOf(existing, wanted.name);
    if (current.vmSize.toLowerCase() !== target.vmSize.toLowerCase()) {
        throw new errors/* UserError */.yo(`Compute ${wanted.name} exists with VM size ${current.vmSize}; 'vm-size' asks for ${target.vmSize}. Azure cannot change the VM size of a cluster: use another 'compute' name, or leave 'vm-size' at ${current.vmSize}.`, { input: 'vm-size' });
    }
    if (current.vmPriority !== target.vmPriority) {
        throw new errors/* UserError */.yo(`Compute ${wanted.name} exists as a ${current.vmPriority === 'LowPriority' ? 'low-priority' : 'dedicated'} cluster; 'tier' asks for ${wanted.tier}. Azure cannot change a cluster's tier: use another 'compute' name.`, { input: 'tier' });
    }
    if (target.maxNodes < current.maxNodes) {
        throw new errors/* UserError */.yo(`Compute ${wanted.name} has max-nodes ${current.maxNodes}; this step asks for ${target.maxNodes}. action-pipeline never shrinks a cluster: set 'max-nodes' to ${current.maxNodes} or more, or resize it on purpose (az ml compute update --name ${wanted.name} --max-instances ${target.maxNodes}).`, { input: 'max-nodes' });
    }
    if (current.minNodes === target.minNodes &&
        current.maxNodes === target.maxNodes &&
        current.idleSeconds === target.idleSeconds) {
        return { name: wanted.name, change: 'unchanged', detail: compute_describe(current) };
    }
    await waitForOperation(() => client.computeOperations.beginUpdate(rg, ws, wanted.name, {
        properties: {
            scaleSettings: {
                minNodeCount: target.minNodes,
                maxNodeCount: target.maxNodes,
                nodeIdleTimeBeforeScaleDown: `PT${target.idleSeconds}S`,
            },
        },
    }, { updateIntervalInMs: POLL_INTERVAL_MS }), { log: context.log, what: `Updating compute cluster ${wanted.name}`, timeoutMs });
    return {
        name: wanted.name,
        change: 'updated',
        detail: `${compute_describe(current)} -> ${compute_describe(target)}`,
    };
}
function shapeOf(resource, name) {
    const outer = resource.properties;
    if (outer?.computeType !== 'AmlCompute') {
        throw new errors/* UserError */.yo(`Compute ${name} exists as ${outer?.computeType ?? 'another kind of compute'}, not a cluster (AmlCompute); use another 'compute' name.`, { input: 'compute' });
    }
    const p = outer.properties ?? {};
    const scale = (p.scaleSettings ?? {});
    return {
        vmSize: String(p.vmSize ?? ''),
        vmPriority: p.vmPriority === 'LowPriority' ? 'LowPriority' : 'Dedicated',
        minNodes: scale.minNodeCount ?? 0,
        maxNodes: scale.maxNodeCount ?? 0,
        idleSeconds: isoSeconds(scale.nodeIdleTimeBeforeScaleDown ?? 'PT120S'),
    };
}
function isoSeconds(duration) {
    const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(duration);
    return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Math.round(Number(m[3] ?? 0)) : 120;
}
function compute_describe(shape) {
    return `${shape.vmSize}, ${shape.minNodes}-${shape.maxNodes} nodes, ${shape.vmPriority === 'LowPriority' ? 'low-priority' : 'dedicated'}, scale down after ${(0,duration/* formatDuration */.a)(shape.idleSeconds * 1000)} idle`;
}

// EXTERNAL MODULE: ./action-pipeline/src/jobFile.ts
var jobFile = __webpack_require__(1459);
;// CONCATENATED MODULE: ./action-pipeline/src/rest.ts
// The job file as Azure ML's REST API (2022-10-01) takes it, in the shapes azure-ai-ml sends:
// command and AutoML jobs as typed JobBase properties; pipeline steps as nodes that point at
// components (inline steps and local component files become anonymous components, named
// azureml_anonymous with a content hash as version, as azure-ai-ml registers them); a published
// pipeline as a pipeline component that jobs and schedules are created from.
// Everything here is pure: ids of uploaded code, environments and components come in `Resolved`.


const ANONYMOUS_COMPONENT_NAME = 'azureml_anonymous';
const PIPELINE_COMPONENT_SCHEMA = 'https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json';
const INPUT_MODES = {
    ro_mount: 'ReadOnlyMount',
    rw_mount: 'ReadWriteMount',
    download: 'Download',
    direct: 'Direct',
    eval_mount: 'EvalMount',
    eval_download: 'EvalDownload',
};
const OUTPUT_MODES = { rw_mount: 'ReadWriteMount', upload: 'Upload' };
/** A literal as azure-ai-ml sends it: booleans as Python writes them (True/False), as scripts expect. */
function literal(value) {
    return typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
}
function jobInput(input, resolved) {
    if (input.kind === 'literal')
        return { jobInputType: 'literal', value: literal(input.value) };
    if (input.kind === 'binding')
        return { jobInputType: 'literal', value: input.expression };
    return {
        jobInputType: input.type,
        uri: input.local ? (resolved.dataUris.get(input) ?? input.path) : input.path,
        ...(input.mode ? { mode: INPUT_MODES[input.mode] } : {}),
    };
}
function jobOutput(output) {
    if (output.kind === 'binding')
        return { jobOutputType: 'uri_folder' };
    return {
        jobOutputType: output.type,
        ...(output.mode ? { mode: OUTPUT_MODES[output.mode] } : {}),
        ...(output.path ? { uri: output.path } : {}),
    };
}
function mapValues(record, f) {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
function base(meta) {
    return {
        displayName: meta.displayName,
        experimentName: meta.experimentName,
        ...(meta.description ? { description: meta.description } : {}),
        tags: meta.tags,
        properties: meta.properties,
    };
}
function commandJobBody(job, meta, resolved, compute) {
    const spec = job.spec;
    return {
        ...base(meta),
        jobType: 'Command',
        command: spec.command,
        environmentId: resolved.environmentIds.get(spec),
        ...(resolved.codeIds.has(spec) ? { codeId: resolved.codeIds.get(spec) } : {}),
        ...(compute ? { computeId: resolved.computeId(compute) } : {}),
        environmentVariables: spec.environmentVariables,
        inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
        outputs: mapValues(job.outputs, jobOutput),
        ...(spec.instanceCount || spec.instanceType || spec.shmSize
            ? {
                resources: dropUndefined({
                    instanceCount: spec.instanceCount ?? 1,
                    instanceType: spec.instanceType,
                    shmSize: spec.shmSize,
                }),
            }
            : {}),
        ...(spec.distribution ? { distribution: spec.distribution } : {}),
        ...(job.identity ? { identity: { identityType: job.identity } } : {}),
        ...(spec.timeoutSeconds ? { limits: { jobLimitsType: 'Command', timeout: `PT${spec.timeoutSeconds}S` } } : {}),
    };
}
function autoMLJobBody(job, meta, resolved, compute) {
    const taskType = { classification: 'Classification', regression: 'Regression', forecasting: 'Forecasting' }[job.task];
    const minutes = (m) => (m === undefined ? undefined : `PT${m}M`);
    const limits = job.limits;
    return {
        ...base(meta),
        jobType: 'AutoML',
        ...(compute ? { computeId: resolved.computeId(compute) } : {}),
        outputs: { best_model: { jobOutputType: 'mlflow_model' }, ...mapValues(job.outputs, jobOutput) },
        taskDetails: {
            taskType,
            trainingData: { jobInputType: job.trainingData.type, uri: job.trainingData.path },
            ...(job.validationData
                ? { validationData: { jobInputType: job.validationData.type, uri: job.validationData.path } }
                : {}),
            targetColumnName: job.targetColumnName,
            primaryMetric: jobFile/* PRIMARY_METRICS */.Rl[job.task][job.primaryMetric],
            limitSettings: dropUndefined({
                timeout: minutes(limits.timeoutMinutes),
                trialTimeout: minutes(limits.trialTimeoutMinutes),
                maxTrials: limits.maxTrials,
                maxConcurrentTrials: limits.maxConcurrentTrials,
                enableEarlyTermination: limits.enableEarlyTermination,
            }),
            ...(job.forecasting
                ? {
                    forecastingSettings: dropUndefined({
                        timeColumnName: job.forecasting.timeColumnName,
                        forecastHorizon: job.forecasting.forecastHorizon === undefined
                            ? undefined
                            : { mode: 'Custom', value: job.forecasting.forecastHorizon },
                    }),
                }
                : {}),
        },
    };
}
function dropUndefined(record) {
    return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
/** The type a step input has in its component's interface. */
function stepInputType(job, step, input, resolved) {
    if (input.kind === 'literal')
        return input.type;
    if (input.kind === 'data')
        return input.type;
    const b = input.binding;
    if (b.kind === 'parent-input') {
        const parent = job.inputs[b.name];
        return parent && parent.kind !== 'binding' ? parent.type : 'string';
    }
    if (b.kind === 'step-output') {
        const other = job.steps.find((s) => s.name === b.step);
        if (!other || other === step)
            return 'uri_folder';
        if (other.source.kind === 'file')
            return other.source.outputs[b.output]?.type ?? 'uri_folder';
        if (other.source.kind === 'registered')
            return resolved.registeredOutputs.get(other)?.[b.output] ?? 'uri_folder';
        const declared = other.outputs[b.output];
        return declared?.kind === 'data' ? declared.type : 'uri_folder';
    }
    return 'uri_folder';
}
/**
 * The command component an inline step or a local component file defines, as azure-ai-ml builds
 * it; its version is the hash of its content, so the same step registers once. As in the REST
 * spec's componentSpec example (and azure-ai-ml): a `version`, code and environment as
 * `azureml:<ARM id>`, and `$schema` only when a component file has one.
 */
function anonymousComponent(job, step, resolved) {
    if (step.source.kind === 'registered')
        throw new Error('registered components are not anonymous');
    const spec = step.source.spec;
    const inputs = step.source.kind === 'file'
        ? mapValues(step.source.inputs, (port) => dropUndefined({
            type: port.type,
            optional: port.optional || undefined,
            default: port.default,
            description: port.description,
        }))
        : mapValues(step.inputs, (input) => ({ type: stepInputType(job, step, input, resolved) }));
    const outputs = step.source.kind === 'file'
        ? mapValues(step.source.outputs, (o) => ({ type: o.type }))
        : mapValues(step.outputs, (o) => ({ type: o.kind === 'data' ? o.type : 'uri_folder' }));
    const file = step.source.kind === 'file' ? step.source : undefined;
    const componentSpec = dropUndefined({
        $schema: file?.schema,
        name: ANONYMOUS_COMPONENT_NAME,
        version: file?.version ?? '1',
        display_name: (step.source.kind === 'file' ? step.source.displayName : undefined) ?? step.displayName ?? step.name,
        type: 'command',
        command: spec.command,
        code: assetReferenceInSpec(resolved.codeIds.get(spec)),
        environment: assetReferenceInSpec(resolved.environmentIds.get(spec)),
        // A component file's environment variables belong to it; an inline step's go on its node.
        environment_variables: step.source.kind === 'file' && Object.keys(spec.environmentVariables).length
            ? spec.environmentVariables
            : undefined,
        description: step.source.kind === 'file' ? step.source.description : undefined,
        inputs,
        outputs,
        is_deterministic: true,
        _source: step.source.kind === 'file' ? 'YAML.COMPONENT' : 'YAML.JOB',
    });
    // azure-ai-ml's anonymous version: a GUID made of the content's hash.
    const hex = contentHash(componentSpec);
    const version = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return { name: ANONYMOUS_COMPONENT_NAME, version, componentSpec };
}
/** An ARM id inside a componentSpec is written `azureml:<ARM id>`; a registry's `azureml://` URI stays as it is. */
function assetReferenceInSpec(id) {
    return id?.startsWith('/') ? `azureml:${id}` : id;
}
/** A step as a node of the pipeline's `jobs` (free-form in the REST API; azure-ai-ml's shape). */
function stepNode(step, resolved) {
    return dropUndefined({
        name: step.name,
        type: 'command',
        display_name: step.displayName,
        componentId: resolved.componentIds.get(step),
        computeId: step.compute ? resolved.computeId(step.compute) : undefined,
        inputs: mapValues(step.inputs, (input) => {
            if (input.kind === 'literal')
                return { job_input_type: 'literal', value: literal(input.value) };
            if (input.kind === 'binding')
                return { job_input_type: 'literal', value: input.expression };
            return dropUndefined({
                job_input_type: input.type,
                uri: input.local ? (resolved.dataUris.get(input) ?? input.path) : input.path,
                mode: input.mode ? INPUT_MODES[input.mode] : undefined,
            });
        }),
        outputs: mapValues(step.outputs, (output) => output.kind === 'binding'
            ? { value: output.expression, type: 'literal' }
            : dropUndefined({
                job_output_type: output.type,
                mode: output.mode ? OUTPUT_MODES[output.mode] : undefined,
                uri: output.path,
            })),
        environment_variables: step.source.kind === 'inline' && Object.keys(step.source.spec.environmentVariables).length
            ? step.source.spec.environmentVariables
            : undefined,
        _source: { registered: 'REMOTE.WORKSPACE.COMPONENT', file: 'YAML.COMPONENT', inline: 'YAML.JOB' }[step.source.kind],
    });
}
function pipelineSettings(job, resolved, compute, source) {
    return dropUndefined({
        default_compute: compute ? resolved.computeId(compute) : undefined,
        continue_on_step_failure: job.continueOnStepFailure,
        _source: source,
    });
}
/** A pipeline job with its steps inline (run without publishing). */
function pipelineJobBody(job, meta, resolved, compute) {
    return {
        ...base(meta),
        jobType: 'Pipeline',
        inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
        outputs: mapValues(job.outputs, jobOutput),
        settings: pipelineSettings(job, resolved, compute, 'YAML.JOB'),
        jobs: Object.fromEntries(job.steps.map((step) => [step.name, stepNode(step, resolved)])),
    };
}
/** The pipeline as a reusable pipeline component (the v2 form of a published pipeline). */
function pipelineComponentSpec(job, resolved, name) {
    return dropUndefined({
        $schema: PIPELINE_COMPONENT_SCHEMA,
        name,
        display_name: job.displayName ?? name,
        description: job.description,
        type: 'pipeline',
        inputs: mapValues(job.inputs, (input) => input.kind === 'literal'
            ? { type: input.type, default: input.value }
            : input.kind === 'data'
                ? dropUndefined({
                    type: input.type,
                    default: { path: input.local ? resolved.dataUris.get(input) : input.path },
                })
                : { type: 'string' }),
        outputs: mapValues(job.outputs, (o) => ({ type: o.kind === 'data' ? o.type : 'uri_folder' })),
        jobs: Object.fromEntries(job.steps.map((step) => [step.name, stepNode(step, resolved)])),
        _source: 'YAML.JOB',
    });
}
/** A pipeline job that runs a published pipeline component: what the run and the schedule submit. */
function componentJobBody(job, meta, resolved, compute, componentId) {
    return {
        ...base(meta),
        jobType: 'Pipeline',
        componentId,
        inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
        outputs: mapValues(job.outputs, jobOutput),
        settings: pipelineSettings(job, resolved, compute, 'REMOTE.WORKSPACE.COMPONENT'),
        jobs: {},
    };
}
/** sha256 of a JSON value with sorted keys: the same content always hashes the same. */
function contentHash(value) {
    return (0,external_node_crypto_.createHash)('sha256').update(canonical(value)).digest('hex');
}
function canonical(value) {
    if (Array.isArray(value))
        return `[${value.map(canonical).join(',')}]`;
    if (value !== null && typeof value === 'object')
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
            .join(',')}}`;
    return JSON.stringify(value) ?? 'null';
}

;// CONCATENATED MODULE: ./action-pipeline/src/runHistory.ts
// Job progress, logs and metrics are not in the ARM API (DESIGN.md): like azure-ai-ml's
// jobs.stream, read them from the workspace's run-history service (found through the workspace's
// discoveryUrl) and its MLflow tracking server (mlFlowTrackingUri), with the same login.

const ARM_SCOPE_SUFFIX = '/.default';
async function openRunHistory(options) {
    const { credential, workspaceId, experiment } = options;
    const scope = options.armScope.endsWith(ARM_SCOPE_SUFFIX)
        ? options.armScope
        : `${options.armScope}${ARM_SCOPE_SUFFIX}`;
    const authorization = async () => {
        const token = await credential.getToken(scope);
        if (!token)
            throw new errors/* UserError */.yo('Could not get a token for the workspace run history.');
        return `Bearer ${token.token}`;
    };
    const get = async (url, as = 'json') => {
        const response = await fetch(url, { headers: { authorization: await authorization() } });
        if (!response.ok) {
            const body = await response.text().catch(() => '');
            throw new errors/* UserError */.yo(`Run history answered ${response.status} to GET ${new URL(url).pathname}: ${body.slice(0, 300)}`);
        }
        return as === 'json' ? response.json() : response.text();
    };
    if (!options.discoveryUrl)
        throw new errors/* UserError */.yo('The workspace has no discoveryUrl: cannot follow job progress.');
    const discovery = (await get(options.discoveryUrl));
    const historyBase = (discovery.history ?? new URL(options.discoveryUrl).origin).replace(/\/+$/, '');
    const runsUrl = `${historyBase}/history/v1.0${workspaceId}/experiments/${encodeURIComponent(experiment)}/runs`;
    const mlflowBase = options.mlflowTrackingUri
        ? `${options.mlflowTrackingUri.replace(/^azureml:\/\//, 'https://').replace(/\/+$/, '')}/api/2.0/mlflow`
        : undefined;
    const toInfo = (r) => {
        const error = r.error;
        return {
            runId: String(r.runId),
            displayName: String(r.displayName ?? r.runId),
            status: String(r.status ?? 'NotStarted'),
            startTimeUtc: r.startTimeUtc ?? undefined,
            endTimeUtc: r.endTimeUtc ?? undefined,
            target: r.target ?? undefined,
            error: error?.error ? { code: error.error.code ?? 'Error', message: error.error.message ?? '' } : undefined,
        };
    };
    return {
        async run(runId) {
            return toInfo((await get(`${runsUrl}/${encodeURIComponent(runId)}`)));
        },
        async children(runId) {
            const page = (await get(`${runsUrl}/${encodeURIComponent(runId)}/children`));
            return (page.value ?? []).map(toInfo);
        },
        async log(runId) {
            const details = (await get(`${runsUrl}/${encodeURIComponent(runId)}/details`));
            const files = Object.entries(details.logFiles ?? {});
            const user = files.find(([name]) => /std_log|70_driver_log/.test(name)) ?? files[0];
            return user ? (await get(user[1], 'text')) : '';
        },
        async metrics(runId) {
            if (!mlflowBase)
                return {};
            const answer = (await get(`${mlflowBase}/runs/get?run_id=${encodeURIComponent(runId)}`));
            return Object.fromEntries((answer.run?.data?.metrics ?? []).map((m) => [m.key, m.value]));
        },
    };
}

;// CONCATENATED MODULE: ./action-pipeline/src/watch.ts
// Following a submitted job to its end: one line per state change of the job and of each pipeline
// step, with elapsed time, and a heartbeat when nothing changes for a while (never a line per
// poll). On failure, the failing step's error and the tail of its log; on timeout, the job is
// cancelled (unless 'cancel-on-timeout' is false) and the step fails saying so.




const TERMINAL_STATES = ['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused'];
/** Polls start quick (short jobs end quick) and back off while nothing changes. */
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 15_000;
const HEARTBEAT_MS = 60_000;
const LOG_TAIL_LINES = 30;
async function followJob(options) {
    const { context, connection, history, runId, isPipeline } = options;
    const { log } = context;
    const { client, settings } = connection;
    const started = Date.now();
    const elapsed = () => (0,duration/* formatDuration */.a)(Date.now() - started);
    const stepStates = new Map();
    const printedLogLines = new Map();
    let status = '';
    let children = [];
    let pollMs = FIRST_POLL_MS;
    let lastLine = Date.now();
    const say = (line) => {
        log.info(`[${elapsed()}] ${line}`);
        lastLine = Date.now();
    };
    for (;;) {
        let changed = false;
        const job = await client.jobs.get(settings.resourceGroup, settings.workspace, runId).catch((error) => {
            throw explainArmError(error, `reading job ${runId}`);
        });
        const now = String(job.properties.status ?? 'Unknown');
        if (now !== status) {
            say(`job ${runId}: ${now}`);
            status = now;
            changed = true;
        }
        if (isPipeline) {
            children = await history.children(runId);
            for (const child of children) {
                if (stepStates.get(child.displayName) !== child.status) {
                    stepStates.set(child.displayName, child.status);
                    if (child.status !== 'NotStarted' || changed)
                        say(`step ${child.displayName}: ${child.status}${child.target && child.status === 'Running' ? ` on ${child.target}` : ''}`);
                    changed = true;
                }
            }
        }
        if (options.streamLogs) {
            const runs = isPipeline ? children.filter((c) => c.status !== 'NotStarted') : [{ runId, displayName: runId }];
            for (const run of runs)
                await printNewLogLines(context, history, run.runId, run.displayName, printedLogLines);
        }
        if (TERMINAL_STATES.includes(status))
            break;
        if (Date.now() - started >= options.timeoutMs) {
            return timedOut(options, status, started, children);
        }
        if (Date.now() - lastLine >= HEARTBEAT_MS)
            say(`job ${runId}: still ${status}`);
        pollMs = changed ? FIRST_POLL_MS : Math.min(MAX_POLL_MS, Math.round(pollMs * 1.5));
        await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, options.timeoutMs - (Date.now() - started)))));
    }
    const job = await client.jobs.get(settings.resourceGroup, settings.workspace, runId);
    const jobOutputs = job.properties.outputs ?? {};
    const outputs = Object.fromEntries(Object.entries(jobOutputs).flatMap(([name, o]) => (o.uri ? [[name, o.uri]] : [])));
    const metrics = await collectMetrics(history, runId, children);
    const outcome = {
        status,
        durationMs: Date.now() - started,
        steps: children.map(stepOutcome),
        outputs,
        metrics,
        failure: undefined,
    };
    if (status === 'Completed') {
        say(`job ${runId} completed.`);
        return outcome;
    }
    outcome.failure = await explainFailure(context, history, runId, status, children, printedLogLines);
    return outcome;
}
function stepOutcome(child) {
    const start = child.startTimeUtc ? Date.parse(child.startTimeUtc) : NaN;
    const end = child.endTimeUtc ? Date.parse(child.endTimeUtc) : NaN;
    return {
        name: child.displayName,
        status: child.status,
        durationMs: Number.isFinite(start) && Number.isFinite(end) ? end - start : undefined,
        compute: child.target,
    };
}
async function collectMetrics(history, runId, children) {
    const metrics = { ...(await history.metrics(runId).catch(() => ({}))) };
    for (const child of children) {
        const own = await history.metrics(child.runId).catch(() => ({}));
        for (const [key, value] of Object.entries(own))
            metrics[`${child.displayName}.${key}`] = value;
    }
    return metrics;
}
async function printNewLogLines(context, history, runId, label, printed) {
    const text = await history.log(runId).catch(() => '');
    const lines = text.split('\n').filter((l) => l !== '');
    const already = printed.get(runId) ?? 0;
    for (const line of lines.slice(already))
        context.log.info(`  ${label} | ${line}`);
    printed.set(runId, lines.length);
}
async function explainFailure(context, history, runId, status, children, printed) {
    const failedSteps = children.filter((c) => c.status === 'Failed');
    const failed = failedSteps.length > 0 ? failedSteps : [await history.run(runId)];
    const reasons = [];
    for (const run of failed) {
        const label = failedSteps.length > 0 ? `step '${run.displayName}'` : `job ${runId}`;
        const error = run.error ? `${run.error.code}: ${run.error.message}` : `ended ${run.status}`;
        reasons.push(`${label} failed: ${error}`);
        context.log.error(`The ${label} failed: ${error}`);
        const log = await history.log(run.runId).catch(() => '');
        const lines = log.split('\n').filter((l) => l !== '');
        if (lines.length > 0 && (printed.get(run.runId) ?? 0) < lines.length) {
            const tail = lines.slice(-LOG_TAIL_LINES);
            await context.log.group(`Last ${tail.length} lines of the log of ${label}`, () => {
                // Prefixed: a line of the job's output must not run as a workflow command (`::...`).
                for (const line of tail)
                    context.log.info(`  | ${line}`);
                return Promise.resolve();
            });
        }
    }
    return new errors/* UserError */.yo(`Job ${runId} ended ${status}: ${reasons.join('; ')}.`);
}
async function timedOut(options, status, started, children) {
    const { context, connection, runId } = options;
    const { client, settings } = connection;
    const limit = (0,duration/* formatDuration */.a)(options.timeoutMs);
    let message;
    if (options.cancelOnTimeout) {
        context.log.warning(`Job ${runId} is still ${status} after ${limit} ('timeout'): cancelling it.`);
        await waitForOperation(() => client.jobs.beginCancel(settings.resourceGroup, settings.workspace, runId, {
            updateIntervalInMs: POLL_INTERVAL_MS,
        }), { log: context.log, what: `Cancelling job ${runId}`, timeoutMs: 5 * 60_000 });
        message = `Job ${runId} did not finish within ${limit} ('timeout') and was cancelled.`;
    }
    else {
        message = `Job ${runId} did not finish within ${limit} ('timeout'); it keeps running ('cancel-on-timeout: false').`;
    }
    return {
        status: options.cancelOnTimeout ? 'Canceled' : status,
        durationMs: Date.now() - started,
        steps: children.map(stepOutcome),
        outputs: {},
        metrics: {},
        failure: new errors/* UserError */.yo(message, { input: 'timeout' }),
    };
}

;// CONCATENATED MODULE: ./action-pipeline/src/run.ts
// action-pipeline's work after its inputs and job file are checked: log in, create the compute
// cluster, upload code, register components, publish the pipeline, create the schedule, submit the
// job and follow it to the end. Loaded lazily by main.ts so dry runs and bad input never pay for
// the Azure SDK.


















const ML = 'Microsoft.MachineLearningServices/workspaces';
const COMMIT_PROPERTY = 'azureml-actions.commit';
async function runPipeline(context, inputs, job) {
    const { log, outputs } = context;
    const connection = await connectToWorkspace(context, inputs.common.azure, requiredActions(inputs, job));
    const { client, settings } = connection;
    const { resourceGroup: rg, workspace: ws } = settings;
    let compute;
    if (inputs.compute?.create) {
        const wanted = inputs.compute;
        compute = await log.group(`Compute cluster ${wanted.name}`, () => ensureCompute(context, connection, wanted, inputs.timeoutMs));
        log.info(`Compute cluster ${compute.name}: ${compute.change} (${compute.detail}).`);
    }
    if (!job) {
        writeSummary(context, { inputs, compute });
        return;
    }
    const computeName = defaultCompute(job, inputs);
    await checkComputes(connection, job, computeName);
    const resolved = await log.group('Upload code and resolve references', () => resolveReferences(context, connection, job));
    const meta = jobMetadata(context, inputs, job);
    let published;
    let scheduleId;
    if (inputs.publish) {
        if (job.type !== 'pipeline') {
            throw new errors/* UserError */.yo(`'publish: true' publishes pipeline jobs; ${job.file} is a ${job.type} job.`, {
                input: 'publish',
            });
        }
        const pipeline = job;
        const publish = inputs.publish;
        published = await log.group('Publish the pipeline component', () => publishPipeline(context, connection, pipeline, resolved, publish));
        outputs.set('component-id', assetReference(published.name, published.version));
        outputs.set('component-version', published.version);
        if (inputs.schedule) {
            const schedule = inputs.schedule;
            const name = schedule.name ?? `${published.name}-schedule`;
            const body = componentJobBody(pipeline, meta, resolved, computeName, published.id);
            // A plain PUT (the SDK's serializer drops job inputs' uri and mode, armRequest.ts), then wait.
            try {
                await armJson(client, settings, 'PUT', `schedules/${name}`, {
                    properties: {
                        displayName: name,
                        description: `Runs ${published.name}:${published.version} on '${schedule.cron}' (${schedule.timeZoneInput}). Managed by azureml-actions.`,
                        isEnabled: true,
                        trigger: { triggerType: 'Cron', expression: schedule.cron, timeZone: schedule.timeZone },
                        action: { actionType: 'CreateJob', jobDefinition: body },
                    },
                });
            }
            catch (error) {
                throw explainArmError(error, `creating or updating schedule ${name}`);
            }
            await waitForProvisioning(async () => (await client.schedules.get(rg, ws, name)).properties.provisioningState, {
                log,
                what: `Creating or updating schedule ${name}`,
                timeoutMs: inputs.timeoutMs,
            });
            scheduleId = workspaceResourceId(settings, `schedules/${name}`);
            outputs.set('schedule-id', scheduleId);
            log.info(`Schedule ${name}: '${schedule.cron}' in ${schedule.timeZone} runs ${published.name}:${published.version}.`);
        }
    }
    if (!inputs.run) {
        writeSummary(context, { inputs, compute, published, scheduleId });
        return;
    }
    const body = job.type === 'command'
        ? commandJobBody(job, meta, resolved, computeName)
        : job.type === 'automl'
            ? autoMLJobBody(job, meta, resolved, computeName)
            : published
                ? componentJobBody(job, meta, resolved, computeName, published.id)
                : pipelineJobBody(job, meta, resolved, computeName);
    const runId = jobName(meta.displayName);
    let submitted;
    try {
        // A plain PUT: the SDK's serializer drops job inputs' uri and mode and AutoML settings (armRequest.ts).
        submitted = await armJson(client, settings, 'PUT', `jobs/${runId}`, { properties: body });
    }
    catch (error) {
        throw explainArmError(error, `submitting job ${runId}`);
    }
    // The seed's exercise: "the trigger should show the run_id", on its own line.
    log.info(`run-id: ${runId}`);
    const services = submitted.body.properties
        ?.services;
    const runUrl = services?.Studio?.endpoint ?? studioUrl(connection, runId);
    outputs.set('run-id', runId);
    outputs.set('run-url', runUrl);
    log.info(`Studio: ${runUrl}`);
    context.state.save('run-id', runId);
    if (!inputs.wait) {
        outputs.set('status', 'Submitted');
        writeSummary(context, { inputs, compute, published, scheduleId, runId, runUrl });
        return;
    }
    context.state.save('cancel-in-post', 'true');
    const history = await openRunHistory({
        credential: connection.session.credential,
        armScope: settings.cloud.armScope,
        workspaceId: workspaceId(settings),
        discoveryUrl: connection.workspace.discoveryUrl,
        mlflowTrackingUri: connection.workspace.mlFlowTrackingUri,
        experiment: meta.experimentName,
    });
    let outcome;
    try {
        outcome = await followJob({
            context,
            connection,
            history,
            runId,
            isPipeline: job.type === 'pipeline',
            timeoutMs: inputs.timeoutMs,
            cancelOnTimeout: inputs.cancelOnTimeout,
            streamLogs: inputs.streamLogs,
        });
    }
    finally {
        context.state.save('cancel-in-post', 'false');
    }
    outputs.set('status', outcome.status);
    outputs.set('outputs', JSON.stringify(outcome.outputs));
    outputs.set('metrics', JSON.stringify(outcome.metrics));
    let bestModel;
    if (job.type === 'automl' && outcome.status === 'Completed') {
        bestModel = await log.group('Best model', () => registerBestModel(context, connection, inputs, runId, outcome));
        outputs.set('best-model', bestModel);
    }
    writeSummary(context, { inputs, compute, published, scheduleId, runId, runUrl, outcome, bestModel });
    if (outcome.failure)
        throw outcome.failure;
}
function requiredActions(inputs, job) {
    const required = [];
    if (inputs.compute?.create)
        required.push({ action: `${ML}/computes/write`, purpose: `create or update compute ${inputs.compute.name}` });
    if (job) {
        required.push({ action: `${ML}/components/versions/write`, purpose: 'register the pipeline steps as components' });
        required.push({ action: `${ML}/codes/versions/write`, purpose: "register local 'code:' folders" });
        required.push({ action: `${ML}/datastores/listsecrets/action`, purpose: 'upload code with the datastore key' });
    }
    if (inputs.schedule)
        required.push({ action: `${ML}/schedules/write`, purpose: 'create the schedule' });
    if (inputs.run)
        required.push({ action: `${ML}/jobs/write`, purpose: 'submit the job' });
    if (inputs.registerBestModelAs)
        required.push({ action: `${ML}/models/versions/write`, purpose: 'register the best model' });
    return required;
}
/** The compute a job runs on when its file names none: the file wins, `compute` fills the gap. */
function defaultCompute(job, inputs) {
    const fromFile = job.type === 'pipeline' ? (job.defaultCompute ?? job.compute) : job.compute;
    return fromFile ?? inputs.compute?.name;
}
/** Every compute the job names must exist: fail before uploading anything. */
async function checkComputes({ client, settings }, job, fallback) {
    const names = new Set();
    if (fallback)
        names.add(fallback);
    if (job.type === 'pipeline')
        for (const step of job.steps)
            if (step.compute)
                names.add(step.compute);
    const needsCompute = job.type === 'pipeline' ? job.steps.some((s) => !s.compute) && fallback === undefined : fallback === undefined;
    if (needsCompute && job.type !== 'automl') {
        throw new errors/* UserError */.yo(`${job.file} names no compute for ${job.type === 'pipeline' ? 'some steps' : 'the job'}: set 'settings.default_compute' (pipelines) or 'compute' in the file, or the action's 'compute' input.`, { input: 'compute' });
    }
    for (const name of names) {
        try {
            await client.computeOperations.get(settings.resourceGroup, settings.workspace, name);
        }
        catch (error) {
            if (isNotFound(error))
                throw new errors/* UserError */.yo(`Compute '${name}' (named by ${job.file}) does not exist in workspace ${settings.workspace}. Create it with 'create-compute: true' and 'compute: ${name}', or use an existing cluster.`, { input: 'compute' });
            throw explainArmError(error, `reading compute ${name}`);
        }
    }
}
function commandsOf(job) {
    if (job.type === 'command')
        return [job.spec];
    if (job.type === 'pipeline')
        return job.steps.flatMap((s) => (s.source.kind === 'registered' ? [] : [s.source.spec]));
    return [];
}
async function resolveReferences(context, connection, job) {
    const { client, settings } = connection;
    const { log } = context;
    const resolved = {
        computeId: (name) => workspaceResourceId(settings, `computes/${name}`),
        codeIds: new Map(),
        environmentIds: new Map(),
        dataUris: new Map(),
        componentIds: new Map(),
        registeredOutputs: new Map(),
    };
    // One upload per distinct folder: two steps sharing ./src share one code version.
    const codeByFolder = new Map();
    const environments = new Map();
    for (const spec of commandsOf(job)) {
        if (spec.code?.kind === 'local') {
            let codeId = codeByFolder.get(spec.code.path);
            if (!codeId) {
                const name = `${external_node_path_default().basename(spec.code.path)}-code`
                    .replace(/[^a-zA-Z0-9_-]/g, '-')
                    .replace(/^[^a-zA-Z0-9]+/, '');
                const code = await registerCodeFolder({ connection, folder: spec.code.path, name, log });
                log.info(`Code ${external_node_path_default().relative(process.cwd(), spec.code.path) || '.'}: ${code.name}:${code.version} (${code.bytesUploaded === 0 ? 'unchanged, nothing uploaded' : `${code.bytesUploaded} bytes uploaded`}).`);
                codeId = code.codeId;
                codeByFolder.set(spec.code.path, codeId);
            }
            resolved.codeIds.set(spec, codeId);
        }
        else if (spec.code?.kind === 'asset') {
            resolved.codeIds.set(spec, await assetId(connection, spec.code.reference, 'codes'));
        }
        let environmentId = environments.get(spec.environment);
        if (!environmentId) {
            environmentId = spec.environment.startsWith('azureml://registries/')
                ? spec.environment
                : await assetId(connection, spec.environment, 'environments');
            environments.set(spec.environment, environmentId);
        }
        resolved.environmentIds.set(spec, environmentId);
    }
    // Local data inputs are uploaded like code: content-addressed, once.
    const dataInputs = [
        ...Object.values(job.inputs),
        ...(job.type === 'pipeline' ? job.steps.flatMap((s) => Object.values(s.inputs)) : []),
    ];
    for (const input of dataInputs) {
        if (input.kind !== 'data' || !input.local)
            continue;
        const snapshot = await snapshot_createSnapshot(input.path, { logger: log });
        const datastore = await openDatastore({ client, settings, credential: connection.session.credential, log });
        const upload = await uploadSnapshot(datastore.container, snapshot, { logger: log });
        resolved.dataUris.set(input, `${datastore.uriOf(upload.assetPath)}${snapshot.kind === 'folder' ? '/' : ''}`);
    }
    if (job.type === 'pipeline') {
        for (const step of job.steps) {
            if (step.source.kind === 'registered') {
                const [id, outputs] = await registeredComponent(connection, step);
                resolved.componentIds.set(step, id);
                resolved.registeredOutputs.set(step, outputs);
            }
        }
        for (const step of job.steps) {
            if (step.source.kind === 'registered')
                continue;
            const component = anonymousComponent(job, step, resolved);
            try {
                await client.componentVersions.createOrUpdate(settings.resourceGroup, settings.workspace, component.name, component.version, {
                    properties: { componentSpec: component.componentSpec, isAnonymous: true, properties: {}, tags: {} },
                });
            }
            catch (error) {
                throw explainArmError(error, `registering the component of step '${step.name}'`);
            }
            resolved.componentIds.set(step, workspaceResourceId(settings, `components/${component.name}/versions/${component.version}`));
        }
    }
    return resolved;
}
/** azureml:NAME:VERSION or azureml:NAME@latest → the version's ARM id (checked to exist). */
async function assetId({ client, settings }, reference, collection) {
    const [, name = '', version] = /^azureml:([^:@]+)(?::(.+)|@latest)$/.exec(reference) ?? [];
    const api = collection === 'environments' ? client.environmentContainers : client.codeContainers;
    const versions = collection === 'environments' ? client.environmentVersions : client.codeVersions;
    const what = collection === 'environments' ? 'Environment' : 'Code';
    try {
        if (version === undefined) {
            const container = await api.get(settings.resourceGroup, settings.workspace, name);
            const latest = container.properties.latestVersion;
            if (!latest)
                throw new errors/* UserError */.yo(`${what} ${name} has no versions.`);
            return workspaceResourceId(settings, `${collection}/${name}/versions/${latest}`);
        }
        await versions.get(settings.resourceGroup, settings.workspace, name, version);
        return workspaceResourceId(settings, `${collection}/${name}/versions/${version}`);
    }
    catch (error) {
        if (isNotFound(error))
            throw new errors/* UserError */.yo(`${what} ${reference} (named by the job file) does not exist in workspace ${settings.workspace}. Register it first (action-register, kind: environment) or fix the reference.`, { input: 'job' });
        throw explainArmError(error, `reading ${reference}`);
    }
}
async function registeredComponent({ client, settings }, step) {
    if (step.source.kind !== 'registered')
        throw new Error('not a registered component');
    const [, name = '', version = ''] = /^azureml:([^:]+):(.+)$/.exec(step.source.reference) ?? [];
    const where = `${step.source.location.file}:${step.source.location.line}:${step.source.location.column}`;
    try {
        const component = await client.componentVersions.get(settings.resourceGroup, settings.workspace, name, version);
        const spec = component.properties.componentSpec ?? {};
        const declared = Object.keys(spec.inputs ?? {});
        for (const input of Object.keys(step.inputs))
            if (!declared.includes(input))
                throw new errors/* UserError */.yo(`${where}: step '${step.name}' sets input '${input}', which component ${step.source.reference} does not declare (it has ${declared.join(', ') || 'none'}).`, { input: 'job' });
        const outputs = Object.fromEntries(Object.entries(spec.outputs ?? {}).map(([k]) => [
            k,
            'uri_folder',
        ]));
        return [workspaceResourceId(settings, `components/${name}/versions/${version}`), outputs];
    }
    catch (error) {
        if (isNotFound(error))
            throw new errors/* UserError */.yo(`${where}: step '${step.name}' uses component ${step.source.reference}, which does not exist in workspace ${settings.workspace}.`, {
                input: 'job',
            });
        throw explainArmError(error, `reading component ${step.source.reference}`);
    }
}
async function publishPipeline(context, { client, settings }, job, resolved, publish) {
    const name = publish.componentName ?? job.name ?? componentNameFromFile(job.file);
    const spec = pipelineComponentSpec(job, resolved, name);
    const hash = contentHash(spec);
    const result = await registerVersion({
        store: versionStore(client, settings, 'components', name),
        version: publish.componentVersion,
        contentHash: hash,
        dedupe: true,
        properties: {
            componentSpec: spec,
            description: job.description,
            isAnonymous: false,
            tags: {},
            properties: { [CONTENT_HASH_PROPERTY]: hash },
        },
        log: context.log,
    });
    context.log.info(result.reused
        ? `Pipeline component ${name}:${result.version} already holds this pipeline: reused.`
        : `Published pipeline component ${name}:${result.version}${result.previousVersion ? ` (previous ${result.previousVersion})` : ''}.`);
    return {
        name,
        version: result.version,
        id: workspaceResourceId(settings, `components/${name}/versions/${result.version}`),
        reused: result.reused,
    };
}
function componentNameFromFile(file) {
    const base = external_node_path_default().basename(file).replace(/\.ya?ml$/i, '');
    return base.replace(/[^a-zA-Z0-9_-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '') || 'pipeline';
}
function jobMetadata(context, inputs, job) {
    const env = (name) => context.inputs.env(name);
    const sha = env('GITHUB_SHA');
    const short = sha?.slice(0, 7);
    const baseName = job.displayName ?? job.name ?? componentNameFromFile(job.file);
    const properties = {};
    if (sha)
        properties[COMMIT_PROPERTY] = sha;
    const repository = env('GITHUB_REPOSITORY');
    const runIdEnv = env('GITHUB_RUN_ID');
    if (repository && runIdEnv)
        properties['azureml-actions.workflow-run'] =
            `${env('GITHUB_SERVER_URL') ?? 'https://github.com'}/${repository}/actions/runs/${runIdEnv}`;
    return {
        displayName: inputs.displayName ?? (short ? `${baseName} @ ${short}` : baseName),
        // The file's experiment_name wins over the default (repository name), the input over both.
        experimentName: inputs.experimentExplicit ? inputs.experiment : (job.experimentName ?? inputs.experiment),
        description: job.description,
        tags: { ...job.tags, ...(short ? { commit: short } : {}) },
        properties: { ...job.properties, ...properties },
    };
}
/** A job name Azure accepts and no other run takes: the display name's letters and a random tail. */
function jobName(displayName) {
    const slug = displayName
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '')
        .slice(0, 40);
    return `${slug || 'job'}_${(0,external_node_crypto_.randomBytes)(5).toString('hex')}`;
}
function studioUrl({ settings }, runId) {
    const studio = settings.cloud.studioUrl ?? 'https://ml.azure.com';
    return `${studio}/runs/${encodeURIComponent(runId)}?wsid=${encodeURIComponent(workspaceId(settings))}`;
}
async function registerBestModel(context, connection, inputs, runId, outcome) {
    const uri = `azureml://jobs/${runId}/outputs/best_model`;
    if (!inputs.registerBestModelAs) {
        context.log.info(`Best model: ${uri} (set 'register-best-model-as' to register it as a model).`);
        return uri;
    }
    const name = inputs.registerBestModelAs;
    const result = await registerVersion({
        store: versionStore(connection.client, connection.settings, 'models', name),
        version: 'auto',
        contentHash: uri,
        dedupe: true,
        properties: {
            modelUri: uri,
            modelType: 'mlflow_model',
            description: `Best model of AutoML job ${runId}.`,
            tags: Object.fromEntries(Object.entries(outcome.metrics).map(([k, v]) => [k, String(v)])),
            properties: { [CONTENT_HASH_PROPERTY]: uri, 'azureml-actions.job': runId },
        },
        log: context.log,
    });
    const reference = assetReference(name, result.version);
    context.log.info(`Registered the best model as ${reference}.`);
    return reference;
}
function writeSummary(context, parts) {
    const lines = ['### action-pipeline', ''];
    if (parts.runId && parts.runUrl) {
        const status = parts.outcome?.status ?? 'Submitted';
        lines.push(`Job [\`${parts.runId}\`](${parts.runUrl}): **${status}**${parts.outcome ? ` in ${(0,duration/* formatDuration */.a)(parts.outcome.durationMs)}` : ''}`, '');
    }
    if (parts.compute)
        lines.push(`- Compute \`${parts.compute.name}\`: ${parts.compute.change} (${(0,plan/* escapeCell */.kq)(parts.compute.detail)})`);
    if (parts.compute && parts.inputs.compute && parts.inputs.compute.minNodes > 0)
        lines.push(`- :warning: min-nodes ${parts.inputs.compute.minNodes}: idle nodes are charged; use 0 to scale to zero.`);
    if (parts.published)
        lines.push(`- Pipeline component \`${parts.published.name}:${parts.published.version}\`${parts.published.reused ? ' (unchanged, reused)' : ' (published)'}`);
    if (parts.scheduleId && parts.inputs.schedule)
        lines.push(`- Schedule \`${parts.scheduleId.split('/').pop() ?? ''}\`: \`${parts.inputs.schedule.cron}\` (${parts.inputs.schedule.timeZoneInput})`);
    if (parts.bestModel)
        lines.push(`- Best model: \`${parts.bestModel}\``);
    const steps = parts.outcome?.steps ?? [];
    if (steps.length > 0) {
        lines.push('', '| step | status | duration | compute |', '| --- | --- | --- | --- |');
        for (const s of steps)
            lines.push(`| ${(0,plan/* escapeCell */.kq)(s.name)} | ${s.status} | ${s.durationMs === undefined ? '' : (0,duration/* formatDuration */.a)(s.durationMs)} | ${(0,plan/* escapeCell */.kq)(s.compute ?? '')} |`);
    }
    const outputs = Object.entries(parts.outcome?.outputs ?? {});
    if (outputs.length > 0) {
        lines.push('', '| output | URI |', '| --- | --- |');
        for (const [name, uri] of outputs)
            lines.push(`| ${(0,plan/* escapeCell */.kq)(name)} | \`${(0,plan/* escapeCell */.kq)(uri)}\` |`);
    }
    const metrics = Object.entries(parts.outcome?.metrics ?? {});
    if (metrics.length > 0) {
        lines.push('', '| metric | value |', '| --- | --- |');
        for (const [name, value] of metrics)
            lines.push(`| ${(0,plan/* escapeCell */.kq)(name)} | ${value} |`);
    }
    context.summary.append(lines.join('\n') + '\n');
}
/** Polls a resource's provisioningState with backoff until Succeeded (or fails saying Failed). */
async function waitForProvisioning(state, options) {
    const started = Date.now();
    for (let wait = 250;; wait = Math.min(wait * 2, POLL_INTERVAL_MS)) {
        const now = await state().catch((error) => {
            throw explainArmError(error, options.what);
        });
        if (now === 'Succeeded' || now === undefined) {
            options.log.info(`${options.what}: done in ${(0,duration/* formatDuration */.a)(Date.now() - started)}.`);
            return;
        }
        if (now === 'Failed' || now === 'Canceled')
            throw new errors/* UserError */.yo(`${options.what} ended ${now}.`);
        if (Date.now() - started > options.timeoutMs)
            throw new errors/* UserError */.yo(`${options.what} did not finish within ${(0,duration/* formatDuration */.a)(options.timeoutMs)}.`);
        await new Promise((resolve) => setTimeout(resolve, wait));
    }
}
/** Post step: cancels the job this step was waiting for when the workflow was cancelled. */
async function cancelJob(context, inputs, runId) {
    const settings = inputs.common.azure;
    const { client } = openClient(context, settings);
    const job = await client.jobs.get(settings.resourceGroup, settings.workspace, runId);
    const status = String(job.properties.status);
    if (['Completed', 'Failed', 'Canceled', 'CancelRequested', 'NotResponding'].includes(status))
        return;
    context.log.warning(`The workflow stopped while job ${runId} was ${status}: cancelling it.`);
    await waitForOperation(() => client.jobs.beginCancel(settings.resourceGroup, settings.workspace, runId, {
        updateIntervalInMs: POLL_INTERVAL_MS,
    }), { log: context.log, what: `Cancelling job ${runId}`, timeoutMs: 5 * 60_000 });
}


/***/ })

};
