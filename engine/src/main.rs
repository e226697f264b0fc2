fn main() {
    println!("screener");
}
