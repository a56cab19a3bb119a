@main struct Rollout { static func main() {} }
