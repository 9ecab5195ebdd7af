using Backend.Security;

namespace Backend.Tests.Security;

/// <summary>Verify runs on every request: it must not allocate once the request and header are parsed.</summary>
public sealed class VerifyAllocationTests
{
    [Theory]
    [InlineData("localhost", "test1")]
    [InlineData("localhost:8000", "p\u00e4ssw\u00f6rd")]
    public void Verify_does_not_allocate(string host, string secret)
    {
        var request = SigningRequest.From("GET", host, "/connection/select", "type=like&_ops=mtime,gt&mtime=1&A=2&a_b=3&ab=4&&id=", null, null, "");
        Assert.True(SignatureHeader.TryParse(RequestSignature.CreateHeader(3, "test1@test.com", secret, request, 4102444800000), out var header));
        Assert.True(RequestSignature.Verify(header, secret, request));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok = RequestSignature.Verify(header, secret, request);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(ok);
        Assert.Equal(0, allocated);
    }
}
