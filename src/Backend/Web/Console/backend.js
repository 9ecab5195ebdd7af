//
// Backend.cs browser client, served at /js/backend.js: the global Backend object of the 2014 backendjs web client
// (Backend.login, Backend.send, Backend.sign, Backend.signUrl, Backend.addAccount, ...), so pages written for it keep
// working. Requests are signed in the browser (docs/signature.md): the login and secret stay in localStorage and
// only signatures reach the server. Hashing is plain synchronous JavaScript (no WebCrypto, which is asynchronous and
// needs a secure context), as sign() returned its headers synchronously in 2014. No jQuery needed.
//
(function(window) {
    "use strict";

    // ---- bytes, SHA-1, SHA-256, HMAC, base64 ----------------------------------------------------------------------

    // UTF-8 as .NET's Encoding.UTF8 gives it: a lone surrogate becomes U+FFFD.
    function utf8(str) {
        str = String(str);
        var out = [];
        for (var i = 0; i < str.length; i++) {
            var c = str.charCodeAt(i);
            if (c >= 0xd800 && c <= 0xdfff) {
                var d = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
                if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
                    i++;
                } else {
                    c = 0xfffd;
                }
            }
            if (c < 0x80) out.push(c);
            else if (c < 0x800) out.push(0xc0 | c >> 6, 0x80 | c & 63);
            else if (c < 0x10000) out.push(0xe0 | c >> 12, 0x80 | c >> 6 & 63, 0x80 | c & 63);
            else out.push(0xf0 | c >> 18, 0x80 | c >> 12 & 63, 0x80 | c >> 6 & 63, 0x80 | c & 63);
        }
        return out;
    }

    // The low byte of each UTF-16 unit: how the 2014 client's crypto.js keyed its HMAC (docs/signature.md).
    function latin1(str) {
        str = String(str);
        var out = [];
        for (var i = 0; i < str.length; i++) out.push(str.charCodeAt(i) & 0xff);
        return out;
    }

    // Big-endian 32-bit words of the message with the SHA padding and the bit length appended.
    function padded(bytes) {
        var n = bytes.length, total = ((n + 8 >> 6) + 1) * 16, w = [], i;
        for (i = 0; i < total; i++) w[i] = 0;
        for (i = 0; i < n; i++) w[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
        w[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
        w[total - 2] = Math.floor(n / 0x20000000);
        w[total - 1] = (n * 8) | 0;
        return w;
    }

    function toBytes(words) {
        var out = [];
        for (var i = 0; i < words.length; i++) out.push(words[i] >>> 24, words[i] >>> 16 & 0xff, words[i] >>> 8 & 0xff, words[i] & 0xff);
        return out;
    }

    function sha1(bytes) {
        var h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0], m = padded(bytes), w = [], t;
        for (var i = 0; i < m.length; i += 16) {
            for (t = 0; t < 16; t++) w[t] = m[i + t];
            for (t = 16; t < 80; t++) { var x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]; w[t] = x << 1 | x >>> 31; }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
            for (t = 0; t < 80; t++) {
                var f = t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
                var k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
                var tmp = ((a << 5) | (a >>> 27)) + f + e + k + w[t] | 0;
                e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = tmp;
            }
            h[0] = h[0] + a | 0; h[1] = h[1] + b | 0; h[2] = h[2] + c | 0; h[3] = h[3] + d | 0; h[4] = h[4] + e | 0;
        }
        return toBytes(h);
    }

    var K256 = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
        0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
        0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
        0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];

    function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }

    function sha256(bytes) {
        var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        var m = padded(bytes), w = [], t;
        for (var i = 0; i < m.length; i += 16) {
            for (t = 0; t < 16; t++) w[t] = m[i + t];
            for (t = 16; t < 64; t++) {
                var s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
                var s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1 | 0;
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
            for (t = 0; t < 64; t++) {
                var t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[t] + w[t] | 0;
                var t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c)) | 0;
                k = g; g = f; f = e; e = d + t1 | 0; d = c; c = b; b = a; a = t1 + t2 | 0;
            }
            h[0] = h[0] + a | 0; h[1] = h[1] + b | 0; h[2] = h[2] + c | 0; h[3] = h[3] + d | 0;
            h[4] = h[4] + e | 0; h[5] = h[5] + f | 0; h[6] = h[6] + g | 0; h[7] = h[7] + k | 0;
        }
        return toBytes(h);
    }

    // HMAC (RFC 2104); both hashes have 64-byte blocks, and a longer key is hashed first.
    function hmac(hash, key, message) {
        if (key.length > 64) key = hash(key);
        var inner = [], outer = [];
        for (var i = 0; i < 64; i++) { var b = key[i] || 0; inner.push(b ^ 0x36); outer.push(b ^ 0x5c); }
        return hash(outer.concat(hash(inner.concat(message))));
    }

    var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    function base64(bytes) {
        var out = "";
        for (var i = 0; i < bytes.length; i += 3) {
            var n = bytes[i] << 16 | (bytes[i + 1] || 0) << 8 | (bytes[i + 2] || 0);
            out += B64.charAt(n >> 18 & 63) + B64.charAt(n >> 12 & 63) +
                (i + 1 < bytes.length ? B64.charAt(n >> 6 & 63) : "=") + (i + 2 < bytes.length ? B64.charAt(n & 63) : "=");
        }
        return out;
    }

    // ---- query strings ------------------------------------------------------------------------------------------

    // As jQuery.param: encodeURIComponent with spaces as "+"; an array repeats its key, null is empty.
    function param(obj) {
        if (obj == null) return "";
        if (typeof obj != "object") return String(obj);
        var parts = [];
        function add(k, v) {
            if (typeof v == "function") return;
            parts.push(encodeURIComponent(k).replace(/%20/g, "+") + "=" + encodeURIComponent(v == null ? "" : v).replace(/%20/g, "+"));
        }
        for (var k in obj) {
            if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
            if (Array.isArray(obj[k])) obj[k].forEach(function(v) { add(k, v); });
            else add(k, typeof obj[k] == "object" && obj[k] !== null ? JSON.stringify(obj[k]) : obj[k]);
        }
        return parts.join("&");
    }

    // "scheme://host:port/path?query#hash" or "/path?query" into its parts.
    function splitUrl(url) {
        url = String(url || "/");
        var host = null, i = url.indexOf("#");
        if (i > -1) url = url.substr(0, i);
        i = url.indexOf("://");
        if (i > -1) {
            var rest = url.substr(i + 3), slash = rest.indexOf("/");
            host = slash > -1 ? rest.substr(0, slash) : rest;
            url = slash > -1 ? rest.substr(slash) : "/";
            var q = host.indexOf("?");
            if (q > -1) { url = "/" + host.substr(q); host = host.substr(0, q); }
        }
        i = url.indexOf("?");
        return { host: host, path: (i > -1 ? url.substr(0, i) : url) || "/", query: i > -1 ? url.substr(i + 1) : "" };
    }

    function withoutPort(host) {
        if (host.charAt(0) == "[") return host.substr(0, host.indexOf("]") + 1);
        var i = host.indexOf(":");
        return i > -1 ? host.substr(0, i) : host;
    }

    var FORM = "application/x-www-form-urlencoded; charset=utf-8";

    function isForm(ctype) { return /^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(ctype || ""); }
    function isJson(ctype) { return /^\s*application\/json\s*(;|$)/i.test(ctype || ""); }

    function storage() {
        try { return window.localStorage || {}; } catch (e) { return {}; }
    }

    // ---- the Backend object -------------------------------------------------------------------------------------

    var Backend = {
        // Ask for a cookie session on login (getAccount sends _session=1): afterwards pages may call without signatures.
        session: false,

        // Signature version for new credentials: 1 (HMAC-SHA1) or 3 (HMAC-SHA256).
        sigversion: 1,

        // Milliseconds a signature stays valid.
        expires: 60000,

        // The header the signature travels in.
        hSignature: "bk-signature",

        // The account record after login.
        account: {},

        // The stored credentials.
        getCredentials: function() {
            var s = storage();
            return { login: s.backendLogin || "", secret: s.backendSecret || "", sigversion: Number(s.backendSigVersion) || this.sigversion || 1 };
        },

        // Stores new credentials (or clears them when called without arguments); they never leave the browser.
        setCredentials: function(login, secret, version) {
            var s = storage();
            s.backendLogin = login ? String(login) : "";
            s.backendSecret = secret ? String(secret) : "";
            s.backendSigVersion = String(version || this.sigversion || 1);
        },

        // Logs in: stores the credentials (when given) and fetches the account; callback(err, account).
        // Backend.login(callback) checks the stored ones.
        login: function(login, secret, callback) {
            if (typeof login == "function") { callback = login; login = null; }
            if (login != null) this.setCredentials(login, secret);
            this.getAccount(callback);
        },

        // Ends a cookie session (if any) and forgets the credentials; callback(err).
        logout: function(callback) {
            var self = this;
            var done = function(err) { self.account = {}; self.setCredentials(); if (callback) callback(err || null); };
            if (!this.session) return done();
            this.send({ url: "/account/get", data: { _session: 0 } }, function() { done(); }, function(err) { done(err); });
        },

        // The current account; callback(err, account).
        getAccount: function(callback) {
            var self = this;
            this.send({ url: "/account/get", data: { _session: this.session ? 1 : 0 } }, function(data) {
                self.account = data || {};
                if (callback) callback(null, self.account);
            }, function(err, xhr) {
                self.account = {};
                if (callback) callback(err, null, xhr);
            });
        },

        // Registers an account with /account/add (no signature needed) and keeps its login and secret as the
        // credentials, as the 2014 client did; callback(err, reply).
        addAccount: function(obj, callback) {
            var data = {};
            for (var k in obj) if (k != "secret2" && Object.prototype.hasOwnProperty.call(obj, k)) data[k] = obj[k];
            this.setCredentials(data.login, data.secret);
            this.send({ type: "POST", url: "/account/add", data: data, nosignature: 1 }, function(rc) {
                if (callback) callback(null, rc);
            }, function(err, xhr) {
                if (callback) callback(err, null, xhr);
            });
        },

        // What a signature is made of (docs/signature.md), without sending anything:
        // { host, path, query, expires, contentType, checksum, stringToSign, signature, header }.
        // url: absolute or relative ("/path?query"); query: a string or an object (jQuery.param form) that replaces the
        // URL's query; for a form POST it is the body. options: expires (ms since epoch, or ms from now when smaller
        // than now), login, secret, sigversion, contentType, checksum or body (a JSON body, whose base64 SHA-1 is the
        // checksum), latin1 (key the HMAC with the secret's Latin-1 bytes, the 2014 crypto.js form).
        signature: function(method, url, query, options) {
            options = options || {};
            var creds = this.getCredentials();
            var login = options.login != null ? String(options.login) : creds.login;
            var secret = options.secret != null ? String(options.secret) : creds.secret;
            var version = Number(options.sigversion || creds.sigversion || 1);
            var now = Date.now();
            var expires = Number(options.expires) || 0;
            if (!expires) expires = now + this.expires;
            else if (expires < now) expires += now;
            method = String(method || "GET").toUpperCase();
            var u = splitUrl(url);
            // The server signs the host without its port, lower-cased, so the port of an absolute URL is dropped.
            var host = withoutPort(String(u.host != null ? u.host : window.location.hostname)).toLowerCase();
            var ctype = options.contentType != null ? String(options.contentType) : (method == "POST" ? FORM : "");
            var q = query != null && query !== "" ? param(query) : u.query;
            var checksum = options.checksum || (options.body != null && options.body !== "" ? base64(sha1(utf8(options.body))) : "");
            var sorted = q.split("&").filter(function(x) { return x != "" && x.substr(0, 12) != "bk-signature"; }).sort().join("&");
            var str = method + "\n" + host + "\n" + u.path + "\n" + sorted + "\n" + expires + "\n" + ctype.toLowerCase() + "\n" + checksum + "\n";
            var key = options.latin1 ? latin1(secret) : utf8(secret);
            var sig = base64(hmac(version == 3 ? sha256 : sha1, key, utf8(str)));
            return {
                host: host, path: u.path, query: sorted, expires: expires, contentType: ctype.toLowerCase(), checksum: checksum,
                stringToSign: str, signature: sig, header: version + "|" + (options.tag || "") + "|" + login + "|" + sig + "|" + expires + "|" + checksum + "|"
            };
        },

        // The signature headers of a request: { "bk-signature": "VERSION||LOGIN|SIGNATURE|EXPIRES|CHECKSUM|" }.
        sign: function(method, url, query, options) {
            // The 2013 form sign(method, url, expires) passed the expiry third.
            if (typeof query == "number" && options == null) { options = { expires: query }; query = null; }
            var rc = {};
            rc[this.hSignature] = this.signature(method, url, query, options).header;
            return rc;
        },

        // A GET URL carrying its signature in the query, for links and images; expires as in signature().
        signUrl: function(url, expires) {
            var hdrs = this.sign("GET", url, null, { expires: expires });
            return url + (String(url).indexOf("?") == -1 ? "?" : "&") + "bk-signature=" + encodeURIComponent(hdrs[this.hSignature]);
        },

        // Sends a signed request: options is a URL or { url, type: "GET"|"POST", data: object or string, contentType
        // ("application/json" sends data as a JSON body with its checksum; a POST is a form otherwise), nosignature,
        // jsonType: "list"|"object", headers, binary (the reply as an ArrayBuffer, for images) }.
        // onsuccess(json, xhr) for a 2xx reply, onerror(message, xhr, status) otherwise. Returns the XMLHttpRequest.
        send: function(options, onsuccess, onerror) {
            var self = this;
            if (typeof options == "string") options = { url: options };
            var method = String(options.type || options.method || "GET").toUpperCase();
            var url = String(options.url || "/");
            var ctype = options.contentType || "";
            var data = options.data, body = null, signQuery = null, checksum = "";
            if (method == "GET" || method == "HEAD" || method == "DELETE") {
                var q = param(data);
                if (q) url += (url.indexOf("?") == -1 ? "?" : "&") + q;
                ctype = "";
            } else if (isJson(ctype)) {
                body = typeof data == "string" ? data : JSON.stringify(data == null ? {} : data);
                checksum = base64(sha1(utf8(body)));
            } else {
                // A form body is what the server signs and reads, not the URL's query, so that moves into the body.
                ctype = ctype || FORM;
                var u = splitUrl(url), parts = [];
                if (u.query) parts.push(u.query);
                if (data != null && data !== "") parts.push(param(data));
                body = parts.join("&");
                url = url.split("?")[0];
                signQuery = body;
            }
            var xhr = new XMLHttpRequest();
            xhr.open(method, url, true);
            if (options.binary) xhr.responseType = "arraybuffer";
            if (ctype) xhr.setRequestHeader("Content-Type", ctype);
            var headers = options.headers || {};
            for (var h in headers) xhr.setRequestHeader(h, headers[h]);
            if (!options.nosignature) {
                var sig = this.signature(method, url, signQuery, { contentType: ctype, checksum: checksum, expires: options.expires });
                xhr.setRequestHeader(this.hSignature, sig.header);
                xhr.signature = sig;
            }
            xhr.onreadystatechange = function() {
                if (xhr.readyState != 4) return;
                var json = null, text = options.binary ? "" : xhr.responseText;
                if (text) try { json = JSON.parse(text); } catch (e) { json = null; }
                if (xhr.status >= 200 && xhr.status < 300) {
                    if (options.jsonType == "list" && !Array.isArray(json)) json = [];
                    if (options.jsonType == "object" && (!json || typeof json != "object")) json = {};
                    if (onsuccess) onsuccess(json, xhr);
                } else {
                    var msg = json && json.message ? json.message : (xhr.statusText || ("HTTP " + xhr.status));
                    self.debug("send: error:", xhr.status, msg, url);
                    if (onerror) onerror(msg, xhr, xhr.status);
                }
            };
            xhr.send(body);
            return xhr;
        },

        // Percent-encodes with !*'() too.
        encode: function(str) {
            return encodeURIComponent(str).replace(/[!'()*]/g, function(c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
        },

        // The value of a query parameter of this page.
        param: function(name, dflt, num) {
            var m = window.location.search.match(new RegExp("[?&]" + name + "=([^&]*)", "i"));
            var d = m ? decodeURIComponent(m[1].replace(/\+/g, " ")) : (dflt || "");
            if (num) { d = parseInt(d, 10); if (isNaN(d)) d = 0; }
            return d;
        },

        // JSON text, indented.
        formatJSON: function(obj, indent) {
            if (typeof obj == "string" && obj != "") try { obj = JSON.parse(obj); } catch (e) { return obj; }
            return JSON.stringify(obj, null, indent || "    ");
        },

        // Query string of an object, as jQuery.param.
        toQuery: param,

        // The hashes, for pages that need them (and the tests that check them against the server's).
        crypto: {
            utf8: utf8,
            latin1: latin1,
            sha1: sha1,
            sha256: sha256,
            hmac: hmac,
            base64: base64,
            b64_sha1: function(str) { return base64(sha1(utf8(str))); },
            b64_hmac_sha1: function(key, str) { return base64(hmac(sha1, utf8(key), utf8(str))); },
            b64_hmac_sha256: function(key, str) { return base64(hmac(sha256, utf8(key), utf8(str))); }
        },

        debug: function() {
            if (!window.console || !window.console.log || !this.debugging) return;
            window.console.log.apply(window.console, arguments);
        }
    };

    window.Backend = Backend;
    // The 2013 client's globals, for pages that called them directly.
    if (!window.b64_sha1) window.b64_sha1 = Backend.crypto.b64_sha1;
    if (!window.b64_hmac_sha1) window.b64_hmac_sha1 = Backend.crypto.b64_hmac_sha1;
})(window);
