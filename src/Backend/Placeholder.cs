namespace Backend; internal static class Placeholder { }
