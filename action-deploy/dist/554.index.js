export const id = 554;
export const ids = [554];
export const modules = {

/***/ 8554:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   loadOrtNode: () => (/* binding */ loadOrtNode)
/* harmony export */ });
// Loads the native onnxruntime-node for test equipment (the emulator, benchmarks). The import is
// computed so ncc never follows it: action bundles that never call this carry no native binaries.
const PACKAGE_NAME = 'onnxruntime-node';
let loaded;
async function loadOrtNode() {
    loaded ??= (async () => {
        const imported = (await import(/* webpackIgnore: true */ PACKAGE_NAME));
        // onnxruntime-node is CommonJS: its exports arrive as named exports or under `default`.
        const ort = (imported.InferenceSession !== undefined ? imported : imported.default);
        // Failed runs reach the caller as exceptions; ORT's own coloured stderr lines would repeat them.
        ort.env.logLevel = 'fatal';
        return ort;
    })();
    void loaded.catch(() => {
        loaded = undefined;
    });
    return loaded;
}


/***/ })

};
