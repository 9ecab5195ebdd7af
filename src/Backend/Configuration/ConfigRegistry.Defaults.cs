namespace Backend.Configuration;

/// <content>The core's own parameters.</content>
public sealed partial class ConfigRegistry
{
    /// <summary>Name of the parameter holding the backend home directory.</summary>
    public const string HomeParameter = "home";

    /// <summary>Name of the parameter holding the config file (the reference's <c>conf-file</c>; <c>-config-file</c> is
    /// its alias).</summary>
    public const string ConfigFileParameter = "conf-file";

    /// <summary>Creates a registry with the core, api and db parameters.</summary>
    public static ConfigRegistry CreateDefault()
    {
        var registry = new ConfigRegistry();
        AddCore(registry);
        AddServer(registry);
        AddApi(registry);
        AddDb(registry);
        AddCache(registry);
        AddPubSub(registry);
        AddLogWatcher(registry);
        AddMetrics(registry);
        AddPush(registry);
        return registry;
    }

    private static void AddCore(ConfigRegistry r)
    {
        r.Add(new(HomeParameter, ConfigType.Path, "~/.backend", "Backend home with etc/, var/, web/ and tmp/; command line or BKCS_HOME only"));
        r.Add(new(ConfigFileParameter, ConfigType.Path, "etc/config", "Config file of name=value lines, FILE.local is read after it; a bare file name means etc/NAME in the home; command line or BKCS_CONF_FILE/BKCS_CONFIG_FILE only") { Aliases = ["config-file"] });
        r.Add(new("log", ConfigType.String, "info", "Logging level: none, error, warn, info, debug or trace")
        {
            Choices = ["none", "error", "warn", "info", "debug", "trace"],
        });
        r.Add(new("debug", ConfigType.Bool, "false", "Verbose logging, same as -log debug"));
        r.Add(new("syslog", ConfigType.Bool, "false", "Log to the local syslog (the -syslog-socket datagram socket, facility user, tag backend) instead of the console"));
        r.Add(new("syslog-socket", ConfigType.String, "/dev/log", "The local syslog socket of -syslog (/dev/log; under systemd-journald also /run/systemd/journal/syslog)"));
        r.Add(new("web", ConfigType.Bool, "false", "Run the Web server as a parent process that owns the port and -server-max-workers worker processes (\"bkcs: server\" and \"bkcs: web\" in ps); without -web, -master and -monitor one process serves"));
        r.Add(new("master", ConfigType.Bool, "false", "Run the jobs scheduler (etc/crontab, the remote job queue) in a process of its own (\"bkcs: master\")"));
        r.Add(new("monitor", ConfigType.Bool, "false", "Run a monitor process (\"bkcs: monitor\") that starts the Web server (unless -no-web) and the master (with -master) and restarts any that exits"));
        r.Add(new("no-web", ConfigType.Bool, "false", "With -monitor: start no Web server (a jobs-only node)"));
        r.Add(new("daemon", ConfigType.Bool, "false", "Detach from the terminal, write -pid-file, send output to -log-file and -err-file; 'bkcs stop' ends it"));
        r.Add(new("pid-file", ConfigType.Path, "var/bkcs.pid", "Process id file of the top process (written with -daemon, -monitor or -web; read by bkcs stop and bkcs restart); relative to the home"));
        r.Add(new("log-file", ConfigType.Path, "", "Append standard output (the log) to this file instead of the terminal; log/message.log with -daemon; relative to the home"));
        r.Add(new("err-file", ConfigType.Path, "", "Append standard error (crash reports) to this file; log/error.log with -daemon; relative to the home"));
        r.Add(new("worker", ConfigType.Bool, "false", "Set by the Web server on the worker processes it starts; not for the command line"));
        r.Add(new("proxy-port", ConfigType.Int, "0", "Reverse-proxy mode of -web: the parent listens on -port and balances the workers, which listen on 127.0.0.1 from this port up (one port each, and one spare for a rolling restart; docs/proxy.md); 0 shares -port among the workers with SO_REUSEPORT") { Min = 0, Max = 65535 });
        r.Add(new("watch", ConfigType.Bool, "false", "Development: restart the server when etc/config, etc/crontab (or their .local) or a file under -watch-dir changes (an app running from its project's bin/ is rebuilt first, into tmp/watch/; a build error keeps the running server); SIGHUP restarts it too"));
        r.Add(new("domain", ConfigType.String, "", "Domain of this backend's hosts; -config-domain defaults to it (the reference took the host's domain by default, here it is empty: no DNS query unless one is configured)"));
        r.Add(new("config-domain", ConfigType.String, "", "Domain whose TXT records give parameters marked 'DNS' in this help: NAME.DOMAIN, e.g. redis-host.example.com TXT \"10.0.0.5\", queried at start-up for each such parameter the command line and environment do not give (docs/configuration.md, \"From DNS\"); empty is -domain; both empty query nothing"));
        r.Add(new("config-dns-server", ConfigType.String, "", "DNS server the -config-domain records are asked of: ADDRESS or ADDRESS:PORT ([IPV6]:PORT); empty is the system resolver (/etc/resolv.conf)"));
        r.Add(new("config-dns-timeout", ConfigType.Int, "2000", "Milliseconds start-up waits for the -config-domain records (all asked at once); parameters without an answer by then keep their other values, with a warning", "core") { Min = 1, Max = 60000 });
        r.Add(new("watch-dir", ConfigType.List, null, "Directories -watch watches recursively besides the config files, relative to the home (default: the app's project directory when the app runs from one); bin/, obj/, .git/ and editor files are ignored"));
        r.Add(new("repl-file", ConfigType.Path, "var/history", "File 'bkcs shell' appends each entered statement to (its history); relative to the home; empty keeps no history"));
        r.Add(new("repl-port", ConfigType.Int, "0", "Port of the C# REPL into a running server (the process serving alone, or the -master): 'bkcs shell' over TCP, the first line being -repl-token; 0 is none") { Min = 0, Max = 65535 });
        r.Add(new("repl-bind", ConfigType.String, "127.0.0.1", "Address -repl-port listens on; loopback unless an operator opens it on purpose"));
        r.Add(new("repl-token", ConfigType.String, "", "Token a -repl-port connection must send as its first line; -repl-port is refused at start-up without one"));
    }

    private static void AddServer(ConfigRegistry r)
    {
        const string S = "server";
        r.Add(new("server-max-workers", ConfigType.Int, "0", "Web worker processes of -web; 0 is one per CPU core", S) { Min = 0, Max = 256 });
        r.Add(new("server-restart-delay", ConfigType.Int, "1000", "Milliseconds before a process that crashes again soon after it was restarted is started again (a first exit restarts at once); doubled for each crash in a row, up to -server-crash-delay", S) { Min = 0 });
        r.Add(new("server-crash-delay", ConfigType.Int, "30000", "Longest wait between restarts of a process that keeps crashing; a process that ran this long before it exited starts a new count (restarted at once)", S) { Min = 100 });
        r.Add(new("server-drain-time", ConfigType.Int, "10000", "Milliseconds a stopping web worker lets its open connections finish (each gets Connection: close with its next reply) before it closes them", S) { Min = 0, Max = 600000 });
        r.Add(new("server-job-max-time", ConfigType.Int, "3600000", "Milliseconds a job may run before its process is killed", S) { Min = 1000 });
        r.Add(new("server-max-jobs", ConfigType.Int, "0", "Jobs one master runs at once (each in a process of its own); 0 is one per CPU core", S) { Min = 0, Max = 1000 });
        r.Add(new("server-jobs-interval", ConfigType.Int, "2000", "Milliseconds between two looks of the master at the remote job queue", S) { Min = 100 });
        r.Add(new("server-jobs-tag", ConfigType.String, "", "Tag of the remote jobs this master takes from the queue; empty takes the untagged ones", S));
    }

    private static void AddApi(ConfigRegistry r)
    {
        const string S = "api";
        r.Add(new("port", ConfigType.Int, "8000", "TCP port the API server listens on", S) { Min = 1, Max = 65535, Aliases = ["api-port"] });
        r.Add(new("bind", ConfigType.String, "127.0.0.1", "Address the API server listens on; 0.0.0.0 listens on all interfaces", S) { Aliases = ["api-bind"] });
        r.Add(new("ssl-port", ConfigType.Int, "0", "HTTPS port of the API server, besides -port; 0 serves no HTTPS. Needs -ssl-pfx, or -ssl-cert with -ssl-key", S) { Min = 0, Max = 65535 });
        r.Add(new("ssl-bind", ConfigType.String, "", "Address the HTTPS port listens on; empty is -bind", S));
        r.Add(new("ssl-cert", ConfigType.Path, "", "PEM certificate (with its chain) of the HTTPS port; its key is -ssl-key", S));
        r.Add(new("ssl-key", ConfigType.Path, "", "PEM private key of -ssl-cert (PKCS#8 or PKCS#1; an encrypted one takes -ssl-passphrase)", S));
        r.Add(new("ssl-pfx", ConfigType.Path, "", "PKCS#12 (.pfx/.p12) file with the certificate and key of the HTTPS port, instead of -ssl-cert/-ssl-key", S));
        r.Add(new("ssl-passphrase", ConfigType.String, "", "Passphrase of -ssl-pfx or of an encrypted -ssl-key", S));
        r.Add(new("ws-port", ConfigType.Int, "0", "TCP port of WebSocket connections (each message a request URL, answered as HTTP would); 0 serves them on the HTTP port, another port listens for upgrades only", S) { Min = 0, Max = 65535 });
        r.Add(new("ws-bind", ConfigType.String, "", "Address a separate -ws-port listens on; empty is the HTTP -bind", S));
        r.Add(new("ws-max-message", ConfigType.Int, "65536", "Largest WebSocket message in bytes; a bigger one closes the socket with 1009", S) { Min = 16, Max = 16_777_216 });
        r.Add(new("ws-max-inflight", ConfigType.Int, "16", "Most requests of one WebSocket running at once; one more is answered 429 (replies keep the order of the requests)", S) { Min = 1, Max = 10_000 });
        r.Add(new("ws-idle-timeout", ConfigType.Int, "300000", "Milliseconds without a message from the client (nothing in flight) after which a WebSocket is closed with 1000; 0 never", S) { Min = 0 });
        r.Add(new("ws-max-connections", ConfigType.Int, "0", "Most WebSockets open at once in a process (-web: in each worker); an upgrade beyond it is answered 503 'Too many WebSockets'; 0 is no limit", S) { Min = 0 });
        r.Add(new("backlog", ConfigType.Int, "512", "Connections the kernel queues for the server before it takes them (the listening socket's backlog, capped by net.core.somaxconn)", S) { Min = 1, Max = 65535 });
        r.Add(new("timeout", ConfigType.Int, "61000", "Milliseconds an idle keep-alive connection stays open between requests (above the 60 s idle timeout of common load balancers, so they close first); long polls and WebSockets are not idle", S) { Min = 1000, Max = 600000 });
        r.Add(new("api-headers-timeout", ConfigType.Int, "30000", "Milliseconds a client has to send a request's headers; a slower one's connection is closed", S) { Min = 1000, Max = 600000 });
        r.Add(new("api-max-connections", ConfigType.Int, "0", "Most connections open at once in a process (-web: in each worker; -proxy-port: in the parent); one more is closed at once without a reply; 0 is no limit (the open-files limit then is one)", S) { Min = 0 });
        r.Add(new("api-min-body-rate", ConfigType.Int, "240", "Slowest request body accepted, in bytes a second after a 5 s grace; a slower upload's connection is closed; 0 is no limit", S) { Min = 0 });
        r.Add(new("api-min-response-rate", ConfigType.Int, "240", "Slowest reading of a response accepted, in bytes a second after a 5 s grace; a slower client's connection is closed; 0 is no limit", S) { Min = 0 });
        r.Add(new("api-busy-latency", ConfigType.Int, "1000", "Milliseconds new work may wait for a thread-pool thread (measured every 100 ms) before new requests are answered 503 'Server is too busy' with Retry-After, until the wait is under it again; /system/stats/get shows it as latency and counts the refused as busy; 0 turns the check off", S) { Min = 0, Max = 600000 });
        r.Add(new("api-max-requests", ConfigType.Int, "0", "Most requests in progress at once in a process (long polls and WebSocket messages included); one more is answered 503 and counted as busy; 0 is no limit", S) { Min = 0 });
        r.Add(new("api-rlimits-ip-rate", ConfigType.Int, "0", "Requests a second one client address may make (a token bucket per address and process; -proxy-port: the client's address, not the proxy's); one more is answered 429 with Retry-After; 0 is no limit", S) { Min = 0, Max = 1_000_000 });
        r.Add(new("api-rlimits-ip-max", ConfigType.Int, "0", "Burst of one client address: requests it may make at once after a quiet time; 0 is -api-rlimits-ip-rate", S) { Min = 0, Max = 1_000_000 });
        r.Add(new("api-rlimits-ip-path", ConfigType.List, null, "Rates by client address for some paths, REGEX=RATE or REGEX=RATE/MAX (quote an item with a comma), e.g. ^/account/add$=1/5; the first matching item counts a request in a bucket of its own instead of -api-rlimits-ip-rate's; RATE 0 exempts the paths", S));
        r.Add(new("api-rlimits-id-rate", ConfigType.Int, "0", "Requests a second one account may make (checked after the signature; a token bucket per account and process); one more is answered 429 with Retry-After; 0 is no limit", S) { Min = 0, Max = 1_000_000 });
        r.Add(new("api-rlimits-id-max", ConfigType.Int, "0", "Burst of one account; 0 is -api-rlimits-id-rate", S) { Min = 0, Max = 1_000_000 });
        r.Add(new("api-rlimits-id-path", ConfigType.List, null, "Rates by account for some paths, REGEX=RATE or REGEX=RATE/MAX, as -api-rlimits-ip-path", S));
        r.Add(new("api-upload-limit", ConfigType.Int, "1048576", "Largest accepted request body in bytes (1 MiB by default), uploads included", S) { Min = 1024, Aliases = ["api-max-request-size"] });
        r.Add(new("api-disable", ConfigType.List, null, "Built-in API modules turned off, their endpoints then answer 404: account, connection, counter, location, message, icon, status, data, system, file", S));
        r.Add(new("api-no-session", ConfigType.Bool, "false", "Turn cookie sessions off: _session=1 starts none and session cookies are not accepted", S));
        r.Add(new("api-no-static", ConfigType.Bool, "false", "Serve no static files (web-dir, the built-in web/ folder, and the console pages /api.html, /doc.html, /js/backend.js)", S));
        r.Add(new("api-access-log", ConfigType.Path, "", "Access log file, one line per request (combined log format plus milliseconds taken and account id; docs/operations.md), relative to the home; empty: log/access.log in the Web workers (-web, -monitor, run-server, run-backend) and with -daemon, none for a single process in the foreground (bkcs run), which writes one only when this is set", S));
        r.Add(new("api-no-access-log", ConfigType.Bool, "false", "Write no access log, whatever -api-access-log says", S));
        r.Add(new("api-no-metrics", ConfigType.Bool, "false", "Keep no statistics in the process: /system/stats/get answers 404 (the instruments stay for OpenTelemetry or dotnet-counters listeners; docs/metrics.md)", S));
        AddPathList(r, "api-allow", "Regexps of URL paths open without a signature; replaces the built-in list of public paths");
        AddPathList(r, "api-allow-path", "Regexps of URL paths to add to the public paths open without a signature");
        AddPathList(r, "api-disallow-path", "Regexps of URL paths to remove from the public paths, e.g. ^/account/add$ closes registration");
        AddPathList(r, "api-deny", "Regexps of URL paths refused to every account; replaces the built-in deny list");
        AddPathList(r, "api-deny-path", "Regexps of URL paths to add to the deny list");
        AddPathList(r, "api-allow-admin", "Regexps of URL paths that only admin accounts may call");
        r.Add(new("api-unsecure", ConfigType.List, null, "API modules opened to every signed-in account: data (table scans, other accounts' public rows), system (the cache), file (/file/put and /file/del)", S));
        r.Add(new("api-session-age", ConfigType.Int, "2592000000", "Lifetime of a cookie session in milliseconds (30 days by default)", S) { Min = 0 });
        r.Add(new("api-session-max", ConfigType.Int, "100000", "Most cookie sessions kept in this process (-cache-type local); beyond it the least recently used session ends. A shared cache is bounded by its server's memory", S) { Min = 1 });
        r.Add(new("api-session-max-per-account", ConfigType.Int, "100", "Most cookie sessions of one account; starting one more ends that account's least recently used session (in a shared cache: its oldest started)", S) { Min = 1 });
        r.Add(new("api-signature-max-age", ConfigType.Int, "604800000", "Largest number of milliseconds a signature's expires may lie in the future (7 days by default, enough for signed image links); a later expires is refused with 406", S) { Min = 1000 });
        r.Add(new("api-require-checksum", ConfigType.Bool, "false", "Signed requests with a JSON or multipart body must carry the body's SHA-1 checksum in the signature (off for the original's clients, which send none for multipart)", S));
        r.Add(new("web-dir", ConfigType.Path, "web", "Directory with extra static files to serve; relative to the home", S) { Aliases = ["api-web"] });
        r.Add(new("images-dir", ConfigType.Path, "images", "Directory where uploaded images (message images, icons) are stored; relative to the home", S) { Aliases = ["api-images-dir"] });
        r.Add(new("files-dir", ConfigType.Path, "files", "Directory where the files API (/file/put) stores files, in a folder per prefix; relative to the home", S));
        r.Add(new("api-image-max-pixels", ConfigType.Int, "40000000", "Most pixels (width x height) an uploaded image may declare, and a processed one may have (40 MP by default); more is answered 413, checked on the image's header before any pixel is decoded (docs/images.md)", S) { Min = 1, Max = 1_000_000_000 });
        r.Add(new("api-image-max-side", ConfigType.Int, "20000", "Longest side in pixels of an uploaded or processed image; longer is answered 413", S) { Min = 16, Max = 100_000 });
        r.Add(new("api-image-quality", ConfigType.Int, "80", "JPEG and WebP quality (1-100) of processed images when the request gives no _quality", S) { Min = 1, Max = 100 });
        r.Add(new("api-image-concurrency", ConfigType.Int, "0", "Images processed at once in a process (uploads beyond it wait); 0 is the number of cores", S) { Min = 0, Max = 1024 });
        r.Add(new("api-icon-limit", ConfigType.List, null, "Largest image upload accepted for icons per prefix, PREFIX:BYTES items (account icons: account), e.g. account:262144,album:4194304; *:BYTES for the other prefixes (1 MiB by default); larger is answered 413, and -api-upload-limit still bounds the whole request", S));
        r.Add(new("api-icon-sizes", ConfigType.List, null, "Renditions stored beside each icon of a prefix, PREFIX:NAME=W or PREFIX:NAME=WxH items with _width/_height's meaning (negative: never upscale), e.g. account:thumb=-128,account:full=-1024; fetched with size=NAME (docs/images.md)", S));
        r.Add(new("api-images-url", ConfigType.Url, "", "URL the images store is served from (a CDN in front of the -api-images-s3 bucket or the images directory): public icons (acl_allow all) and uploads are answered with a redirect to URL/STORE-PATH instead of their bytes, and /icon/upload answers URLs there; empty serves every image from this server", S));
        r.Add(new("api-subscribe-interval", ConfigType.Int, "5000", "Milliseconds /account/subscribe collects events before delivering them as one JSON list", S) { Min = 0, Max = 600000 });
        r.Add(new("api-subscribe-timeout", ConfigType.Int, "30000", "Milliseconds an /account/subscribe long poll waits for an event before answering an empty list", S) { Min = 100, Max = 3600000 });
        r.Add(new("api-status-interval", ConfigType.Int, "900000", "Milliseconds after a /status/put during which the account counts as online", S) { Min = 1000 });
        r.Add(new("min-distance", ConfigType.Number, "5", "Radius in km of the smallest location cell: sets the geohash length of bk_location keys (5 km -> 4 characters); changing it needs bk_location rebuilt", S) { Min = 0, Max = 2500 });
        r.Add(new("api-location-cloak", ConfigType.Number, "1", "Size in km of the cell other accounts' positions are snapped to before /location/get computes distances to them, so no number of searches locates anyone more precisely; 0 turns cloaking off", S) { Min = 0, Max = 100 });
        r.Add(new("max-distance", ConfigType.Number, "50", "Largest search radius in km that /location/get accepts", S) { Min = 0, Max = 20000 });
    }

    private static void AddPathList(ConfigRegistry r, string name, string description) =>
        r.Add(new(name, ConfigType.List, null, description, "api") { ItemType = ConfigType.Regex });

    private static void AddDb(ConfigRegistry r)
    {
        const string S = "db";
        r.Add(new("db-pool", ConfigType.String, "sqlite", "Database pool used by default", S));
        r.Add(new("db-sqlite-pool", ConfigType.String, "backend", "SQLite database: a file path, or a bare name meaning var/NAME.db in the home", S));
        r.Add(new("db-busy-timeout", ConfigType.Int, "30000", "Milliseconds SQLite waits on a locked database before failing", S) { Min = 0 });
        r.Add(new("db-pgsql-pool", ConfigType.String, null, "PostgreSQL pool URL, e.g. postgresql://user:password@127.0.0.1:5432/backend", S));
        r.Add(new("db-mysql-pool", ConfigType.String, null, "MySQL/MariaDB pool URL, e.g. mysql://user:password@127.0.0.1:3306/backend", S));
        r.Add(new("db-dynamodb-pool", ConfigType.String, null, "DynamoDB pool: endpoint URL with ?region=&key=&secret=, or 'default' for the AWS region and credentials of the environment", S));
        r.Add(new("db-redis-pool", ConfigType.String, null, "Redis pool URL, e.g. redis://127.0.0.1:6379 or redis://:password@host:port/db", S));
        r.Add(new("db-lmdb-pool", ConfigType.String, null, "LMDB pool (embedded; needs the LMDB provider and liblmdb0): a bare name meaning the directory var/lmdb/NAME in the home, or a directory, with optional ?mapsize=MB&maxdbs=N", S));
        foreach (var pool in new[] { "sqlite", "pgsql", "mysql", "dynamodb", "redis", "lmdb" })
            r.Add(new($"db-{pool}-tables", ConfigType.List, null, $"Tables kept in the {pool} pool instead of the default pool", S) { Aliases = [$"db-{pool}-pool-tables"] });
        r.Add(new("db-caching", ConfigType.List, null, "Tables whose every write drops their rows from the read-through cache (GetCached)", S));
        r.Add(new("db-cache-size", ConfigType.Int, "10000", "Rows kept by the in-process read-through cache", S) { Min = 0 });
        r.Add(new("db-cache-ttl", ConfigType.Int, "5000", "Milliseconds a cached row (accounts' credentials among them) may be served before it is read again; bounds how long other processes' changes go unseen", S) { Min = 0 });
        r.Add(new("db-max-connections", ConfigType.Int, "20", "Largest number of connections per database pool", S) { Min = 1, Max = 1000 });
        r.Add(new("db-connect-timeout", ConfigType.Int, "3000", "Milliseconds to wait for a database connection before answering 503", S) { Min = 100 });
        r.Add(new("db-timeout", ConfigType.Int, "30000", "Milliseconds a database call may run (a statement, or a DynamoDB/Redis call's round trips) before it is stopped and answered 504; every pool unless -db-POOL-timeout is set; PostgreSQL and MySQL round up to whole seconds", S) { Min = 100 });
        // The reference's pool sizes: db-sqlite-max/idle, db-pgsql-min/max/idle, db-mysql-min/max/idle, db-dynamodb-max.
        r.Add(new("db-sqlite-max", ConfigType.Int, null, "SQLite connections kept open between calls (with their prepared statements); more concurrent calls open more and close them after use; 16 when not set", S) { Min = 1, Max = 1000 });
        r.Add(new("db-sqlite-idle", ConfigType.Int, null, "Accepted for the reference's configs, no effect: SQLite keeps its idle connections open (they are files, not server sessions)", S) { Min = 0 });
        foreach (var pool in new[] { "pgsql", "mysql" })
        {
            r.Add(new($"db-{pool}-max", ConfigType.Int, null, $"Most connections of the {pool} pool; -db-max-connections when not set", S) { Min = 1, Max = 1000 });
            r.Add(new($"db-{pool}-min", ConfigType.Int, null, $"Connections the {pool} pool keeps open when idle (0 when not set)", S) { Min = 0, Max = 1000 });
            r.Add(new($"db-{pool}-idle", ConfigType.Int, null, $"Milliseconds an idle connection of the {pool} pool is kept before it is closed (rounded up to seconds; the client library's default when not set: {(pool == "pgsql" ? "300" : "180")} s)", S) { Min = 1000 });
        }
        r.Add(new("db-dynamodb-max", ConfigType.Int, null, "Most HTTP connections to the DynamoDB endpoint; -db-max-connections when not set", S) { Min = 1, Max = 1000 });
        foreach (var pool in new[] { "sqlite", "pgsql", "mysql", "dynamodb", "redis", "lmdb" })
            r.Add(new($"db-{pool}-timeout", ConfigType.Int, null, $"Milliseconds a call in the {pool} pool may run before it is stopped and answered 504; -db-timeout when not set", S) { Min = 100 });
    }

    private static void AddCache(ConfigRegistry r)
    {
        const string S = "cache";
        r.Add(new("cache-type", ConfigType.String, "local", "Cache kind: local (an LRU in this process, the default), redis (shared, -redis-host; needs the Redis provider)", S));
        r.Add(new("lru-max", ConfigType.Int, "100000", "Keys the local LRU cache keeps; putting more evicts the least recently used", S) { Min = 1 });
    }

    private static void AddPubSub(ConfigRegistry r)
    {
        const string S = "msg";
        r.Add(new("msg-type", ConfigType.String, "local", "Pub/sub kind (account events, cache invalidation): local (this process only, the default), redis (-redis-host), amqp (RabbitMQ, -amqp-host), zmq or nanomsg (brokerless, -msg-host); all but local need their provider, which bkcs has", S));
    }

    private static void AddLogWatcher(ConfigRegistry r)
    {
        const string S = "logwatcher";
        r.Add(new("logwatcher-url", ConfigType.Url, "", "URL the monitor POSTs its log reports to (JSON; docs/operations.md, \"Log watcher\"), instead of mailing them; this or -logwatcher-email turns the log watcher on", S));
        r.Add(new("logwatcher-email", ConfigType.List, null, "Mail addresses the monitor sends its log reports to through -logwatcher-smtp-host, when no -logwatcher-url is given; this or -logwatcher-url turns the log watcher on", S) { Dns = true });
        r.Add(new("logwatcher-from", ConfigType.String, "", "Sender address of the log report mails; logwatcher@HOSTNAME when empty", S));
        r.Add(new("logwatcher-ignore", ConfigType.List, null, "Regexps of log lines never reported (with the stack lines under them), checked before the match patterns", S) { ItemType = ConfigType.Regex });
        r.Add(new("logwatcher-match", ConfigType.List, null, "Regexps of log lines to report, besides the built-in ones (the 'fail: ' and 'crit: ' lines of the log, .NET's 'Unhandled exception.', the reference's ']: ERROR: '); every line of -err-file is reported", S) { ItemType = ConfigType.Regex });
        r.Add(new("logwatcher-interval", ConfigType.Number, "60", "Minutes between two scans of the log files (as in the reference; fractions allowed, 0.5 is 30 s); 0 turns the log watcher off", S) { Min = 0, Max = 1440 });
        r.Add(new("logwatcher-file", ConfigType.List, null, "More files the log watcher scans with the match patterns, besides -log-file and -err-file (log/message.log and log/error.log with -daemon); relative to the home", S) { ItemType = ConfigType.Path });
        r.Add(new("logwatcher-smtp-host", ConfigType.String, "localhost", "SMTP server the log report mails go through", S));
        r.Add(new("logwatcher-smtp-port", ConfigType.Int, "25", "Port of -logwatcher-smtp-host", S) { Min = 1, Max = 65535 });
        r.Add(new("logwatcher-smtp-tls", ConfigType.Bool, "false", "Require STARTTLS with -logwatcher-smtp-host (the port's implicit TLS, 465, is not supported)", S));
        r.Add(new("logwatcher-smtp-user", ConfigType.String, "", "User name for SMTP authentication; none when empty", S));
        r.Add(new("logwatcher-smtp-password", ConfigType.String, "", "Password of -logwatcher-smtp-user", S));
    }

    private static void AddMetrics(ConfigRegistry r)
    {
        const string S = "metrics";
        r.Add(new("prometheus-port", ConfigType.Int, "0", "Serve the statistics to Prometheus: GET /metrics on this port (text format; docs/metrics.md, \"Export\"), nothing else; with -web, Web worker N listens on this port + N - 1 (one scrape target per worker); 0 serves none", S) { Min = 0, Max = 65535 });
        r.Add(new("prometheus-bind", ConfigType.String, "127.0.0.1", "Address -prometheus-port listens on; 0.0.0.0 for a Prometheus on another host (the endpoint has no authentication: open it to the scraper only)", S));
        r.Add(new("prometheus-meters", ConfigType.List, null, "More meters (System.Diagnostics.Metrics) -prometheus-port exports, besides Backend, Microsoft.AspNetCore.Hosting, Microsoft.AspNetCore.Server.Kestrel and System.Runtime", S));
        r.Add(new("collect-host", ConfigType.Url, "", "URL the statistics (/system/stats/get's JSON with mtime, host and pid; with -web the whole machine's, posted by the Web server process) are POSTed to as a JSON array of samples; empty posts none", S));
        r.Add(new("collect-interval", ConfigType.Number, "30", "Seconds between two samples of the statistics for -collect-host (as in the reference; fractions allowed, at least 0.1)", S) { Min = 0, Max = 86400 });
        r.Add(new("collect-send-interval", ConfigType.Number, "300", "Seconds between two posts to -collect-host, each with the samples taken since the last one (rounded to whole -collect-interval; a failed post's samples go with the next, at most 100 kept)", S) { Min = 0, Max = 86400 });
    }

    private static void AddPush(ConfigRegistry r)
    {
        const string S = "push";
        r.Add(new("apn-cert", ConfigType.Path, "", "APNs certificate auth (the reference's): a PKCS#12 file, or a PEM file with the certificate and its private key; -apn-key (token auth) is the alternative Apple recommends", S));
        r.Add(new("apn-passphrase", ConfigType.String, "", "Passphrase of -apn-cert", S));
        r.Add(new("apn-production", ConfigType.Bool, "false", "Send to APNs' production host (api.push.apple.com) instead of the sandbox (api.sandbox.push.apple.com)", S));
        r.Add(new("apn-key", ConfigType.Path, "", "APNs token auth: the .p8 signing key (PKCS#8 PEM) from Apple's developer site; with -apn-key-id, -apn-team-id and -apn-topic", S));
        r.Add(new("apn-key-id", ConfigType.String, "", "The 10-character key id of -apn-key", S));
        r.Add(new("apn-team-id", ConfigType.String, "", "The Apple developer team id that owns -apn-key", S));
        r.Add(new("apn-topic", ConfigType.String, "", "The app's bundle id (the apns-topic header); required with -apn-key, taken from the certificate with -apn-cert when empty", S));
        r.Add(new("apn-host", ConfigType.Url, "", "Base URL of APNs instead of Apple's hosts (a proxy, or a test server)", S));
        r.Add(new("fcm-key", ConfigType.Path, "", "FCM HTTP v1: the service-account key file (JSON) from the Firebase console; turns Android (fcm://, gcm://) pushes on", S));
        r.Add(new("fcm-project", ConfigType.String, "", "The Firebase project id; the key file's project_id when empty", S));
        r.Add(new("fcm-host", ConfigType.Url, "", "Base URL of the FCM API instead of https://fcm.googleapis.com (a proxy, or a test server)", S));
        r.Add(new("gcm-key", ConfigType.String, "", "The reference's GCM server key: GCM is shut down by Google, so it is accepted, logged as retired and not used; give -fcm-key instead", S));
        r.Add(new("webpush-public-key", ConfigType.String, "", "Web Push VAPID public key (base64url, 65-byte P-256 point), the applicationServerKey browsers subscribe with; `bkcs webpush-keys` makes a pair", S));
        r.Add(new("webpush-private-key", ConfigType.String, "", "Web Push VAPID private key (base64url, 32 bytes)", S));
        r.Add(new("webpush-subject", ConfigType.String, "", "Web Push VAPID subject: mailto:ADDRESS or an https URL the push services may contact", S));
        r.Add(new("webpush-allow-private", ConfigType.Bool, "false", "Accept Web Push subscriptions whose endpoint is http or on a loopback or private address (tests, a private push server); off, they are refused", S));
        r.Add(new("webpush-ttl", ConfigType.Int, "86400", "Seconds a Web Push service keeps a notification it could not deliver yet (the TTL header)", S) { Min = 0, Max = 2_419_200 });
        r.Add(new("push-ca-file", ConfigType.Path, "", "PEM file of more CA certificates trusted for the push services' TLS (a proxy's, a test server's), besides the system's", S));
        r.Add(new("push-timeout", ConfigType.Int, "10000", "Milliseconds one push send may take before it counts as a timeout and is retried", S) { Min = 100, Max = 600_000 });
        r.Add(new("push-concurrency", ConfigType.Int, "100", "Push sends in flight at once (multiplexed over one HTTP/2 connection per service)", S) { Min = 1, Max = 10_000 });
        r.Add(new("push-queue-size", ConfigType.Int, "10000", "Notifications waiting to be sent; when the queue is full new ones are dropped (counted as dropped, logged)", S) { Min = 1, Max = 10_000_000 });
        r.Add(new("push-retries", ConfigType.Int, "5", "Times a send the service answered with 429, 5xx or a timeout is tried again", S) { Min = 0, Max = 100 });
        r.Add(new("push-retry-delay", ConfigType.Int, "1000", "Milliseconds before the first retry of a send, doubled for each next one (with jitter); a longer Retry-After from the service wins", S) { Min = 1, Max = 3_600_000 });
        r.Add(new("push-retry-max-delay", ConfigType.Int, "300000", "Longest wait before a retry; a service asking for a longer Retry-After makes the send give up", S) { Min = 1, Max = 86_400_000 });
        r.Add(new("push-triggers", ConfigType.List, "message,connection,ping", "Events that notify an offline account's devices: message (a message received), connection (a connection made to it), ping (its ping counter bumped); empty sends only what the app sends", S) { ItemType = ConfigType.String, Choices = ["message", "connection", "ping"] });
        r.Add(new("push-text-message", ConfigType.String, "{alias}: {msg}", "Text of the message trigger's notification: {alias} is the sender's alias, {msg} the message text (an image only: \"sent an image\")", S));
        r.Add(new("push-text-connection", ConfigType.String, "{alias} connected with you: {type}", "Text of the connection trigger's notification: {alias} is the other account's alias, {type} the connection type", S));
        r.Add(new("push-text-ping", ConfigType.String, "{alias} pinged you", "Text of the ping trigger's notification: {alias} is the alias of the account that bumped the counter", S));
        r.Add(new("push-prefix", ConfigType.String, "", "Text put before every trigger's notification text (the reference's prefix), with a space", S));
        r.Add(new("push-sound", ConfigType.String, "default", "Sound name of the triggers' notifications; empty for silent ones", S));
    }
}
