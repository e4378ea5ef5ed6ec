namespace Gatehouse.AspNetCore;
