// The committed table from conda package names to the PyPI names pip installs them under, for
// environments built without conda (the emulator's scoring servers, action-deploy target local).
// A conda name missing here is sent to pip unchanged (most conda-forge names are the PyPI names),
// so pip installs it or says it cannot; nothing in a conda file is dropped silently.

/** Conda name → PyPI name, where they differ or where the name is common enough to state it. */
export const CONDA_TO_PYPI: Readonly<Record<string, string>> = {
  'scikit-learn': 'scikit-learn',
  sklearn: 'scikit-learn',
  numpy: 'numpy',
  scipy: 'scipy',
  pandas: 'pandas',
  joblib: 'joblib',
  cloudpickle: 'cloudpickle',
  psutil: 'psutil',
  pyyaml: 'PyYAML',
  requests: 'requests',
  matplotlib: 'matplotlib',
  'matplotlib-base': 'matplotlib',
  pillow: 'pillow',
  'py-xgboost': 'xgboost',
  'py-xgboost-cpu': 'xgboost',
  xgboost: 'xgboost',
  lightgbm: 'lightgbm',
  pytorch: 'torch',
  'pytorch-cpu': 'torch',
  torchvision: 'torchvision',
  tensorflow: 'tensorflow',
  'tensorflow-cpu': 'tensorflow-cpu',
  onnxruntime: 'onnxruntime',
  onnx: 'onnx',
  pyarrow: 'pyarrow',
  'py-opencv': 'opencv-python-headless',
  opencv: 'opencv-python-headless',
  threadpoolctl: 'threadpoolctl',
  tqdm: 'tqdm',
  mlflow: 'mlflow',
  'mlflow-skinny': 'mlflow-skinny',
  'azureml-inference-server-http': 'azureml-inference-server-http',
};

/**
 * Conda packages that are not Python packages (interpreters, build tools, C libraries, CUDA): pip
 * has nothing to install for them; the machine's own provide them or not. Logged when skipped.
 */
export const CONDA_ONLY = new Set([
  'pip',
  'setuptools',
  'wheel',
  'libgcc',
  'libgcc-ng',
  'libstdcxx-ng',
  'libgomp',
  'openssl',
  'ca-certificates',
  'certifi',
  'mkl',
  'mkl-service',
  'intel-openmp',
  'blas',
  'libblas',
  'openblas',
  'cudatoolkit',
  'cudnn',
  'cuda-version',
  'nccl',
  'tbb',
  'zlib',
  'xz',
  'sqlite',
  'tk',
  'readline',
  'ncurses',
  'libffi',
  'bzip2',
]);

/**
 * Pip requirement lists for Azure's curated environments (the emulator's `AzureML-<name>` and the
 * `azureml` registry's `<name>`), after each one's context/conda_dependencies.yaml in
 * Azure/azureml-assets: the packages a scoring script can import from them, at specifiers this
 * machine's Python can install. The images themselves carry more (azureml-core, MPI, debuggers).
 */
export const CURATED_REQUIREMENTS: Readonly<Record<string, { python: string; requirements: string[] }>> = {
  // assets/training/general/environments/sklearn-1.5: python=3.10, scikit-learn~=1.5.0, pandas, scipy, numpy, joblib
  'sklearn-1.5': {
    python: '3.10',
    requirements: [
      'scikit-learn~=1.5.0',
      'pandas',
      'scipy',
      'numpy',
      'joblib',
      'azureml-inference-server-http',
      'mlflow-skinny',
    ],
  },
  'sklearn-1.1': {
    python: '3.10',
    requirements: ['scikit-learn~=1.1.0', 'pandas', 'scipy', 'numpy', 'joblib', 'azureml-inference-server-http'],
  },
  'sklearn-1.0': {
    python: '3.8',
    requirements: ['scikit-learn~=1.0.0', 'pandas', 'scipy', 'numpy', 'joblib', 'azureml-inference-server-http'],
  },
  'lightgbm-3.3': {
    python: '3.8',
    requirements: ['lightgbm~=3.3.0', 'pandas', 'scipy', 'numpy', 'scikit-learn', 'azureml-inference-server-http'],
  },
  'tensorflow-2.16-cuda12': {
    python: '3.10',
    requirements: ['tensorflow~=2.16.0', 'numpy', 'pandas', 'azureml-inference-server-http'],
  },
  'acpt-pytorch-2.2-cuda12.1': {
    python: '3.10',
    requirements: ['torch~=2.2.0', 'numpy', 'pandas', 'azureml-inference-server-http'],
  },
  'acpt-pytorch-2.8-cuda12.6': {
    python: '3.10',
    requirements: ['torch~=2.8.0', 'numpy', 'pandas', 'azureml-inference-server-http'],
  },
};
