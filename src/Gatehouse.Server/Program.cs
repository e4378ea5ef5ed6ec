using Gatehouse.Server.Hosting;

ProcessMemory.Apply();
// The slim builder leaves out what Gatehouse never uses (IIS integration, HTTP/3 over QUIC, hosting startup
// assemblies, the EventLog and Debug loggers): a faster start and less memory. HTTPS endpoints from Kestrel's
// configuration still work.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration();
builder.AddGatehouse();

var app = builder.Build();
await app.InitializeGatehouseAsync();
app.UseGatehouse();
app.MapGatehouseEndpoints();
await app.RunAsync();

/// <summary>The entry point, public so tests can host it in memory.</summary>
public partial class Program;
