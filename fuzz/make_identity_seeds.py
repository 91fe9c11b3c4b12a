#!/usr/bin/env python3
"""Writes the seed corpora of the identity fuzz targets (sfv, digest, httpsig, webauthn_data,
webauthn_json) into fuzz/corpus/<target>/: the published vectors (RFC 8941, RFC 9421,
RFC 9530, the W3C WebAuthn test vectors in tests/identity/webauthn_vectors.h) and hand-made
edge cases. Idempotent: seeds are named by role. Run: python3 fuzz/make_identity_seeds.py"""
import base64
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, '..', 'tests', 'identity', 'webauthn_vectors.h')

D512 = 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:'


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def vectors():
    text = open(VECTORS).read()
    out = []
    for m in re.finditer(r'\{"[^"]*(?:\\"[^"]*)*", "([a-zA-Z0-9-]+)",(.*?)\n    \},', text, re.S):
        fields = {}
        for f in re.finditer(r'/\* (\w+) \*/ ((?:"[0-9a-f]*"\s*)+),', m.group(2)):
            fields[f.group(1)] = bytes.fromhex(''.join(re.findall(r'"([0-9a-f]*)"', f.group(2))))
        out.append((m.group(1), fields))
    return out


def sfv_seeds():
    return {
        'list_tokens': b'sugar, tea, rum',
        'list_inner': b'("foo" "bar"), ("baz"), ("bat" "one"), ()',
        'list_params': b'abc;a=1;b=2; cde_456, (ghi;jk=4 l);q="9";r=w',
        'dict_bytes': b'en="Applepie", da=:w4ZibGV0w6ZydGUK:',
        'dict_bools': b'a=?0, b, c; foo=bar',
        'dict_decimal': b'rating=1.5, feelings=(joy sadness)',
        'dict_ows': b'a=1,    b=2;x=1;y=2,   c=(a   b   c)',
        'item_int_max': b'999999999999999',
        'item_int_over': b'1000000000000000',
        'item_decimal_max': b'-123456789012.123',
        'item_string_escapes': b'"hello \\"world\\" \\\\o/"',
        'item_bad_escape': b'"\\a"',
        'item_date': b'@1659578233',
        'item_display': b'%"f%c3%bc"',
        'trailing_comma': b'a, b,',
        'non_ascii': '"café"'.encode(),
        'dup_keys': b'a=1, b=2, a=3;x;x=?0',
        'sig_input': b'sig1=("@method" "@authority" "@path" "content-digest");created=1618884475;keyid="test-key-ecc-p256"',
        'content_digest': D512.encode(),
        'deep_params': b'a;' + b';'.join(b'k%d=%d' % (i, i) for i in range(20)),
        'many_members': b', '.join(b'k%d' % i for i in range(70)),
    }


def digest_seeds():
    return {
        'sha512': D512.encode(),
        'sha256': b'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
        'both': b'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, ' + D512.encode(),
        'unknown_only': b'md5=:Sd/dVLAcvNLSq16eXua5uQ==:',
        'wrong': b'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
        'short': b'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBA==:',
        'string': b'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="',
        'dup': b'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:AA==:',
        'empty': b'',
    }


def httpsig_seeds():
    b26 = ('sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");'
           'created=1618884473;keyid="test-key-ed25519"\n'
           'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:\n')
    sig1 = ('sig1=("@method" "@authority" "@path" "content-digest" "content-type" "content-length");'
            'created=1618884475;keyid="test-key-ecc-p256"\n'
            'sig1=:X5spyd6CFnAG5QnDyHfqoSNICd+BUP4LYMz2Q0JXlb//4Ijpzp+kve2w4NIyqeAuM7jTDX+sNalzA8ESSaHD3A==:\n')
    return {
        'b26_ed25519': b26.encode(),
        'sig1_p256': sig1.encode(),
        'b26_tampered': b26.replace('Pet', 'Cat').replace('CQK1', 'CQK2').encode(),
        'all_components': ('s=("@method" "@target-uri" "@authority" "@scheme" "@request-target" '
                           '"@path" "@query" "@query-param";name="Pet" "content-digest";sf '
                           '"content-digest";key="sha-512" "x-b";bs "date");created=1618884473;'
                           'keyid="test-key-ed25519";nonce="n";tag="t";alg="ed25519";expires=1618884999\n'
                           's=:AAAA:\nX-B: caf\xc3\xa9\nX-B: two\n').encode('latin-1'),
        'unknown_key': b'a=("@method");created=1618884473;keyid="store-down"\na=:AAAA:\n',
        'two_labels': (sig1.split('\n')[0] + ', ' + b26.split('\n')[0] + '\n' +
                       sig1.split('\n')[1] + ', ' + b26.split('\n')[1] + '\n').encode(),
        'label_mismatch': b'a=();created=1;keyid="k"\nb=:AAAA:\n',
        'status': b'a=("@status");created=1618884473;keyid="test-key-ed25519"\na=:AAAA:\n',
        'empty': b'',
    }


def webauthn_data_seeds(vecs):
    seeds = {}
    for ident, f in vecs:
        seeds['att_' + ident] = f['attestation_object']
        seeds['authdata_' + ident] = f['auth_data']
        seeds['clientdata_reg_' + ident] = f['reg_client_data']
        seeds['clientdata_auth_' + ident] = f['auth_client_data']
    seeds['authdata_37'] = bytes(32) + b'\x05' + bytes(4)
    seeds['authdata_at_empty_key'] = bytes(32) + b'\x45' + bytes(4) + bytes(16) + b'\x00\x02ab\xa0'
    seeds['authdata_ed'] = bytes(32) + b'\x85' + bytes(4) + b'\xa1\x6bcredProtect\x02'
    seeds['authdata_id_1024'] = bytes(32) + b'\x45' + bytes(4) + bytes(16) + b'\x04\x00' + bytes(1030)
    seeds['cbor_deep'] = b'\x81' * 12 + b'\x00'
    seeds['cbor_indefinite'] = b'\x9f\x01\xff'
    seeds['cbor_tag'] = b'\xc1\x1a\x51\x4b\x67\xb0'
    seeds['clientdata_bom'] = ('\ufeff{"type":"webauthn.get","challenge":"AAAA","origin":"x"}').encode()
    seeds['clientdata_types'] = b'{"type":1,"challenge":[],"origin":{},"crossOrigin":"no"}'
    return seeds


def reg_json(f, **extra):
    j = {'id': b64u(f['credential_id']), 'rawId': b64u(f['credential_id']), 'type': 'public-key',
         'response': {'clientDataJSON': b64u(f['reg_client_data']),
                      'attestationObject': b64u(f['attestation_object']),
                      'transports': ['internal', 'hybrid']},
         'clientExtensionResults': {}, 'authenticatorAttachment': 'platform'}
    j['response'].update(extra)
    return json.dumps(j).encode()


def auth_json(f, user=b'user-1'):
    resp = {'clientDataJSON': b64u(f['auth_client_data']),
            'authenticatorData': b64u(f['auth_data']), 'signature': b64u(f['signature'])}
    if user is not None:
        resp['userHandle'] = b64u(user)
    return json.dumps({'id': b64u(f['credential_id']), 'rawId': b64u(f['credential_id']),
                       'type': 'public-key', 'response': resp,
                       'clientExtensionResults': {}}).encode()


def webauthn_json_seeds(vecs):
    seeds = {}
    for ident, f in vecs:
        seeds['reg_' + ident] = reg_json(f)
        seeds['auth_' + ident] = auth_json(f)
    f = dict(vecs)['none-es256']
    seeds['reg_redundant'] = reg_json(f, publicKeyAlgorithm=-7, authenticatorData='AAAA')
    seeds['auth_no_user'] = auth_json(f, None)
    seeds['bad_type'] = reg_json(f).replace(b'"public-key"', b'"password"')
    seeds['not_object'] = b'[1,2,3]'
    seeds['deep'] = b'{"a":' * 12 + b'1' + b'}' * 12
    return seeds


def write(target, seeds):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed_' + name), 'wb') as fh:
            fh.write(data)


def main():
    vecs = vectors()
    assert len(vecs) == 15, len(vecs)
    write('sfv', sfv_seeds())
    write('digest', digest_seeds())
    write('httpsig', httpsig_seeds())
    write('webauthn_data', webauthn_data_seeds(vecs))
    write('webauthn_json', webauthn_json_seeds(vecs))


if __name__ == '__main__':
    main()
