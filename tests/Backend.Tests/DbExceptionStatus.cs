using Backend.Data;
using Backend.Http;

namespace Backend.Tests;

/// <summary>Tests read a database error as the status a client sees: the one mapping in Http (<see cref="DbErrorStatus"/>).</summary>
internal static class DbExceptionStatus
{
    extension(DbException ex)
    {
        /// <summary>The HTTP status of the error's kind.</summary>
        public int Status => DbErrorStatus.Of(ex.Kind);
    }
}
