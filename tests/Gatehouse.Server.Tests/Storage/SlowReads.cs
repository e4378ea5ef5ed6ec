using System.Data.Common;
using Gatehouse.Server.Storage.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Server.Tests.Storage;

/// <summary>
/// Widens race windows for concurrency tests: a context factory on a fixture's database whose every command that reads
/// rows of one table hands them back only after a delay. A store whose check and write are not atomic then loses the
/// race every time instead of once in a while; a store that is atomic merely runs slower.
/// </summary>
internal static class SlowReads
{
    public static Task<IDbContextFactory<GatehouseDbContext>> CreateAsync(StorageFixture fixture, StoreKind kind, string table, TimeSpan delay, CancellationToken cancellationToken) =>
        InterceptedDatabase.CreateAsync(fixture, kind, new Interceptor(table, delay), cancellationToken);

    private sealed class Interceptor(string table, TimeSpan delay) : DbCommandInterceptor
    {
        public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (command.CommandText.Contains(table, StringComparison.Ordinal))
            {
                await Task.Delay(delay, cancellationToken);
            }

            return result;
        }
    }
}
