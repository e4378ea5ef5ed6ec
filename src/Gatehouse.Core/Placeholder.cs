namespace Gatehouse.Core;
