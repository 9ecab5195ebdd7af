using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Backend.Data;
using Backend.DynamoDb;

namespace Backend.Benchmarks;

/// <summary>DynamoDB (dynalite from scripts/servers): the facade over <see cref="DynamoDbDriver"/> vs its own
/// <see cref="AmazonDynamoDBClient"/> configured as the driver factory configures its client (endpoint, static
/// credentials, standard retries, 3 s connect / 15 s request timeout, 20 connections). Table: hash key grp (S),
/// range key id (N), as the driver creates it.
/// <list type="bullet">
/// <item>Get: GetItem, consistent.</item>
/// <item>Put: PutItem of the whole item (bool as BOOL, numbers as N).</item>
/// <item>Select: Query <c>grp = :g</c>, consistent, Limit 20 (the facade asks for Limit 21 to learn whether a next page exists).</item>
/// </list></summary>
public class DynamoDbBench : DbBenchBase
{
    private AmazonDynamoDBClient _client = null!;

    /// <inheritdoc />
    protected override Task<Db> OpenFacadeAsync() => BenchTable.OpenAsync(new DynamoDbDriverFactory(), BenchTable.ServerUrl("dynamodb"), Path.Combine(Path.GetTempPath(), "bkcs-bench-db"));

    /// <inheritdoc />
    protected override Task OpenRawAsync()
    {
        // http://host:port?region=R&key=K&secret=S
        var url = BenchTable.ServerUrl("dynamodb");
        var q = url.IndexOf('?', StringComparison.Ordinal);
        var query = (q < 0 ? "" : url[(q + 1)..]).Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);
        var config = new AmazonDynamoDBConfig
        {
            ServiceURL = q < 0 ? url : url[..q],
            AuthenticationRegion = query.GetValueOrDefault("region", "us-east-1"),
            RetryMode = RequestRetryMode.Standard,
            ConnectTimeout = TimeSpan.FromMilliseconds(3000),
            Timeout = TimeSpan.FromMilliseconds(15000),
            MaxConnectionsPerServer = 20,
        };
        _client = new AmazonDynamoDBClient(new BasicAWSCredentials(query["key"], query["secret"]), config);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CloseRawAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private static Dictionary<string, object?> ToRow(Dictionary<string, AttributeValue> item)
    {
        var row = new Dictionary<string, object?>(BenchTable.Columns.Length, StringComparer.Ordinal);
        foreach (var (name, a) in item)
        {
            switch (name)
            {
                case "grp" or "name" or "note": row[name] = a.S; break;
                case "id" or "qty" or "mtime": row[name] = long.Parse(a.N, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture); break;
                case "score": row[name] = double.Parse(a.N, NumberStyles.Float, CultureInfo.InvariantCulture); break;
                case "active": row[name] = a.BOOL; break;
                default: break;
            }
        }
        return row;
    }

    /// <inheritdoc />
    protected override async ValueTask<Dictionary<string, object?>?> RawGetAsync(string grp, long id)
    {
        var res = await _client.GetItemAsync(new GetItemRequest
        {
            TableName = BenchTable.Name,
            Key = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
            {
                ["grp"] = new AttributeValue { S = grp },
                ["id"] = new AttributeValue { N = id.ToString(CultureInfo.InvariantCulture) },
            },
            ConsistentRead = true,
        });
        return res.Item is { Count: > 0 } item ? ToRow(item) : null;
    }

    /// <inheritdoc />
    protected override async ValueTask<int> RawPutAsync(long id, (string Name, double Score, long Qty, bool Active, string Note, long Mtime) v)
    {
        await _client.PutItemAsync(new PutItemRequest
        {
            TableName = BenchTable.Name,
            Item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
            {
                ["grp"] = new AttributeValue { S = BenchTable.GroupNames[id / BenchTable.GroupSize] },
                ["id"] = new AttributeValue { N = id.ToString(CultureInfo.InvariantCulture) },
                ["name"] = new AttributeValue { S = v.Name },
                ["score"] = new AttributeValue { N = v.Score.ToString("R", CultureInfo.InvariantCulture) },
                ["qty"] = new AttributeValue { N = v.Qty.ToString(CultureInfo.InvariantCulture) },
                ["active"] = new AttributeValue { BOOL = v.Active },
                ["note"] = new AttributeValue { S = v.Note },
                ["mtime"] = new AttributeValue { N = v.Mtime.ToString(CultureInfo.InvariantCulture) },
            },
        });
        return 1;
    }

    /// <inheritdoc />
    protected override async ValueTask<List<Dictionary<string, object?>>> RawSelectAsync(string grp, int count)
    {
        var res = await _client.QueryAsync(new QueryRequest
        {
            TableName = BenchTable.Name,
            KeyConditionExpression = "grp = :g",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":g"] = new AttributeValue { S = grp } },
            ConsistentRead = true,
            ScanIndexForward = true,
            Limit = count,
        });
        var rows = new List<Dictionary<string, object?>>(res.Items?.Count ?? 0);
        foreach (var item in res.Items ?? []) rows.Add(ToRow(item));
        return rows;
    }
}
