"""Captures the ARM job body azure-ai-ml sends for each AutoML job file (evidence for parity fixtures)."""
import json, os, shutil, ssl, sys, tempfile, urllib.request, traceback
HERE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'interop', 'python'))
sys.path = [p for p in sys.path if 'pydash' not in p]
import importlib.util
spec = importlib.util.spec_from_file_location('amlclient', os.path.join(HERE, 'amlclient.py'))
amlclient = importlib.util.module_from_spec(spec)
spec.loader.exec_module(amlclient)
sys.path = [p for p in sys.path if os.path.abspath(p) != HERE]
for m in list(sys.modules):
    if m.startswith('pydash'): del sys.modules[m]
import pydash  # the real one
from azure.ai.ml import load_job
from azure.ai.ml.entities import AmlCompute

ml = amlclient.ml_client()
admin = os.environ['AZUREML_EMULATOR_ADMIN_URL']
ctx = ssl.create_default_context(cafile=os.environ['REQUESTS_CA_BUNDLE'])
def get(path):
    with urllib.request.urlopen(admin + path, context=ctx) as r: return json.loads(r.read())

corpus = os.environ.get('AZUREML_CORPUS_DIR', os.path.join(HERE, '..', '..', '..', '..', 'shared', 'corpus', 'azureml-examples')) + '/'
out = sys.argv[1]
files = sys.argv[2:]
if not os.environ.get('NO_COMPUTE'):
    for name in ['cpu-cluster', 'gpu-cluster']:
        ml.compute.begin_create_or_update(AmlCompute(name=name, size='Standard_DS3_v2', min_instances=0, max_instances=4)).result()
for rel in files:
    src = rel if os.path.isabs(rel) else corpus + rel
    folder = tempfile.mkdtemp()
    shutil.copytree(os.path.dirname(src), folder, dirs_exist_ok=True)
    # The image samples' data comes from prepare_data.py: a stand-in MLTable folder.
    for sub in ['data/training-mltable-folder', 'data/validation-mltable-folder']:
        p = os.path.join(folder, sub)
        if not os.path.exists(p):
            os.makedirs(p)
            open(os.path.join(p, 'MLTable'), 'w').write('paths:\n  - file: ./annotations.jsonl\ntransformations:\n  - read_json_lines:\n      encoding: utf8\n')
            open(os.path.join(p, 'annotations.jsonl'), 'w').write('{"image_url": "azureml://x/1.jpg", "label": "can"}\n')
    path = os.path.join(folder, os.path.basename(src))
    since = get('/requests')['value'][-1]['id']
    name = rel.replace('/', '__')
    try:
        os.chdir(folder)
        job = load_job(path)
        created = ml.jobs.create_or_update(job)
        reqs = [r for r in get('/requests?since=%d' % since)['value'] if r['method'] == 'PUT' and r['service'] == 'arm']
        json.dump([{'path': r['path'], 'api': r['query'].get('api-version'), 'body': r.get('requestBody')} for r in reqs], open(os.path.join(out, name + '.json'), 'w'), indent=1)
        print('OK', rel)
    except Exception as e:
        open(os.path.join(out, name + '.error'), 'w').write(''.join(traceback.format_exception(e))[-3000:])
        print('ERR', rel, type(e).__name__, str(e)[:300].replace('\n', ' '))
