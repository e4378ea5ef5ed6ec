using System.Data.Common;
using Gatehouse.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace Gatehouse.Server.Tests.Resilience;

/// <summary>
/// The signing-key rows exactly as the database holds them, read behind the server's back with the plain ADO.NET
/// driver. The table is found by its column that holds the private part (a name containing <c>private</c>).
/// </summary>
internal sealed record SigningKeyTable(string Table, string PrivateColumn, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows)
{
    public static async Task<SigningKeyTable> ReadAsync(GatehouseFactory factory, CancellationToken cancellationToken)
    {
        var connectionString = factory.Settings["ConnectionStrings:Gatehouse"]!;
        var postgres = string.Equals(factory.Settings["Gatehouse:Database:Provider"], "postgres", StringComparison.OrdinalIgnoreCase);
        await using DbConnection connection = postgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        var columns = new List<(string Table, string Column)>();
        await using (var find = connection.CreateCommand())
        {
            find.CommandText = postgres
                ? "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name ILIKE '%private%'"
                : "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name LIKE '%private%'";
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.True(columns.Count == 1, $"expected one column holding signing keys' private parts, found: {string.Join(", ", columns.Select(c => c.Table + "." + c.Column))}");
        var (table, column) = columns[0];
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT * FROM \"" + table.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }
        }

        return new SigningKeyTable(table, column, rows);
    }

    /// <summary>The row that names <paramref name="kid"/> in one of its text columns.</summary>
    public IReadOnlyDictionary<string, object?> RowOf(string kid) =>
        Rows.SingleOrDefault(r => r.Values.OfType<string>().Any(v => string.Equals(v, kid, StringComparison.Ordinal)))
        ?? throw new InvalidOperationException($"No row of {Table} names the key {kid}.");

    /// <summary>The stored private part as bytes (a blob/bytea, or text holding base64).</summary>
    public byte[] PrivatePart(IReadOnlyDictionary<string, object?> row) => row[PrivateColumn] switch
    {
        byte[] bytes => bytes,
        string text => Convert.FromBase64String(text),
        var other => throw new InvalidOperationException($"{Table}.{PrivateColumn} holds a {other?.GetType().Name ?? "null"}."),
    };
}
